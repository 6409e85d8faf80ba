package main

import (
	"context"
	"errors"
	"os"

	"github.com/bpflab/bpflab/internal/guard"
)

func runGuard(ctx context.Context, args []string) error {
	err := guard.Run(ctx, os.Stdout, os.Stderr, args)
	var ue guard.UsageError
	if errors.As(err, &ue) {
		return usageError{ue.Msg}
	}
	if errors.Is(err, context.Canceled) {
		return nil // log stopped by Ctrl-C
	}
	return err
}
