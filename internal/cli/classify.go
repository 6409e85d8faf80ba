package cli

import (
	"errors"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/privilege"
)

// classify turns errors that mean "the operator must fix something" into
// bad input: a concurrent writer, and a permission refusal (explained with
// the capabilities job lacks).
func classify(job privilege.Job, err error) error {
	var bad *command.UsageError
	switch {
	case err == nil, errors.As(err, &bad):
		return err
	case errors.Is(err, firewall.ErrBusy), errors.Is(err, firewall.ErrNotPinned), errors.Is(err, ebpf.ErrKeyNotExist):
		// Busy: another writer; not pinned / not blocked: nothing to act on.
		return &command.UsageError{Err: err}
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return &command.UsageError{Err: privilege.Explain(job, err)}
	}
	return err
}
