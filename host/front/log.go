package front

import (
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
)

// OpenLog opens the log at path (config.Paths.LogFile), which the full
// host and the front share, for appending; each line has the writer's pid.
func OpenLog(path string) (zerolog.Logger, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return zerolog.Nop(), nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return zerolog.Nop(), nil, err
	}
	l := zerolog.New(f).With().Timestamp().Int("pid", os.Getpid()).Logger()
	return l, func() { f.Close() }, nil
}
