package operator

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/privilege"
)

// BadInputError is a refusal before anything changed: exit status 2.
type BadInputError struct{ Err error }

func (e *BadInputError) Error() string { return e.Err.Error() }
func (e *BadInputError) Unwrap() error { return e.Err }

func badInput(format string, args ...any) error {
	return &BadInputError{Err: fmt.Errorf(format, args...)}
}

// ExitStatus maps an error from Run to the process exit status: 0 for
// nil, 2 for bad input, 1 otherwise.
func ExitStatus(err error) int {
	var bad *BadInputError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &bad):
		return 2
	}
	return 1
}

// classify turns errors that mean "the operator must fix something" into
// bad input: a concurrent writer, and a permission refusal (explained with
// the capabilities job lacks).
func classify(job privilege.Job, err error) error {
	var bad *BadInputError
	switch {
	case err == nil, errors.As(err, &bad):
		return err
	case errors.Is(err, firewall.ErrBusy), errors.Is(err, firewall.ErrNotPinned), errors.Is(err, ebpf.ErrKeyNotExist):
		// Busy: another writer; not pinned / not blocked: nothing to act on.
		return &BadInputError{Err: err}
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return &BadInputError{Err: privilege.Explain(job, err)}
	}
	return err
}
