package main

import (
	"os"
	"strings"
	"time"
)

// failpoint returns the hook CERTRENEW_FAILPOINT asks for. Tests use it to
// interrupt the host at an exact point (engine.Config.Failpoint names them):
//
//	POINT             kill the process (SIGKILL) when POINT is reached
//	wait:POINT:FILE   at POINT, create FILE.reached, then block until FILE
//	                  exists (the popup close-and-reopen test holds a
//	                  renewal open this way; the lost-answer tests break
//	                  the connection meanwhile)
func failpoint(spec string) func(string) {
	if rest, ok := strings.CutPrefix(spec, "wait:"); ok {
		point, file, _ := strings.Cut(rest, ":")
		return func(p string) {
			if p != point {
				return
			}
			_ = os.WriteFile(file+".reached", nil, 0o600)
			for {
				if _, err := os.Stat(file); err == nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	return func(p string) {
		if p == spec {
			killSelf()
		}
	}
}
