// Package uname reads the running kernel's release (`uname -r`): the one
// place bpflab asks, for the host, the guest runner and the probes alike.
package uname

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Release returns the running kernel's release, e.g. "6.1.0-56-amd64".
func Release() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("uname: %w", err)
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}

// ReleaseOr returns the release, or fallback where uname fails (a label
// must still be printed).
func ReleaseOr(fallback string) string {
	rel, err := Release()
	if err != nil {
		return fallback
	}
	return rel
}
