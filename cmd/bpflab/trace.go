package main

import "context"

func runTrace(ctx context.Context, args []string) error {
	return runOperator(ctx, "trace", args)
}
