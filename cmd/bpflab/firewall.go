package main

import (
	"context"
	"errors"

	"github.com/bpflab/bpflab/internal/operator"
)

func runFirewall(ctx context.Context, args []string) error {
	return runOperator(ctx, "firewall", args)
}

// runOperator runs an operator command (internal/operator, shared with the
// scenario binaries) and maps its bad input to exit status 2.
func runOperator(ctx context.Context, name string, args []string) error {
	err := operator.Run(ctx, operator.StdEnv(), append([]string{name}, args...))
	var bad *operator.BadInputError
	if errors.As(err, &bad) {
		return usageError{msg: err.Error()}
	}
	return err
}
