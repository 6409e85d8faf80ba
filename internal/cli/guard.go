package cli

import (
	"context"
	"errors"
	"io"

	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/guard"
)

// runGuard is `bpflab guard`; the policy and its commands live in
// internal/guard.
func runGuard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := guard.Run(ctx, stdout, stderr, args)
	var ue guard.UsageError
	if errors.As(err, &ue) {
		return command.Usagef("%s", ue.Msg)
	}
	if errors.Is(err, context.Canceled) {
		return nil // log stopped by Ctrl-C
	}
	return err
}
