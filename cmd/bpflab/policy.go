package main

import "context"

func runPolicy(ctx context.Context, args []string) error {
	return runOperator(ctx, "policy", args)
}
