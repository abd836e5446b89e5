package main

import (
	"os"
	"strings"
	"time"

	"github.com/certrenew/certrenew/host/journal"
)

// failpoint returns the hook CERTRENEW_FAILPOINT asks for. Tests use it to
// interrupt the host at an exact journal phase:
//
//	PHASE             kill the process (SIGKILL) when PHASE is reached
//	wait:PHASE:FILE   block at PHASE until FILE exists (the popup
//	                  close-and-reopen test holds a renewal open this way)
func failpoint(spec string) func(journal.Phase) {
	if rest, ok := strings.CutPrefix(spec, "wait:"); ok {
		phase, file, _ := strings.Cut(rest, ":")
		return func(p journal.Phase) {
			if p.String() != phase {
				return
			}
			for {
				if _, err := os.Stat(file); err == nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	return func(p journal.Phase) {
		if p.String() == spec {
			killSelf()
		}
	}
}
