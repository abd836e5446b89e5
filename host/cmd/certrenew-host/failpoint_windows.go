//go:build windows

package main

import (
	"os"

	"github.com/certrenew/certrenew/host/journal"
)

// failpoint ends the process at once, without cleanup, when the named
// journal phase is reached.
func failpoint(name string) func(journal.Phase) {
	return func(p journal.Phase) {
		if p.String() == name {
			os.Exit(137)
		}
	}
}
