//go:build unix

package main

import (
	"os"
	"syscall"

	"github.com/certrenew/certrenew/host/journal"
)

// failpoint kills the process with SIGKILL when the named journal phase is
// reached (CERTRENEW_FAILPOINT=issued, say): the crash-recovery tests use it
// to stop the host mid-renewal exactly as a power cut or `kill -9` would.
func failpoint(name string) func(journal.Phase) {
	return func(p journal.Phase) {
		if p.String() == name {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
}
