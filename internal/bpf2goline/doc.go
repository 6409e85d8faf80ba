// Package bpf2goline finds and interprets the bpf2go go:generate lines of
// Go packages: which C source a package builds, with which compiler flags,
// and how to rerun the line into another directory. bpf/generate_test.go
// (freshness of committed objects) and internal/mutate (rebuilding mutants)
// share it, so both read the lines the same way.
package bpf2goline
