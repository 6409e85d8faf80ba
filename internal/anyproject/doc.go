// Package anyproject proves that bpflab works on a project that is not
// bpflab: testdata/extmod is a separate Go module with its own eBPF object
// and test, and the tests here copy it outside this repository, build one
// static bpflab binary, and run `bpflab matrix` and `bpflab check` from the
// copy's directory, as a user of `go install .../cmd/bpflab@VERSION` would.
package anyproject
