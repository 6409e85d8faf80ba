// Package benchsuite holds bpflab's per-kernel performance figures and the
// Go benchmarks that measure them (suite_test.go). The matrix runs the
// benchmarks in every kernel like a scenario package (`bpflab matrix
// --bench REGEX`, `make bench`): each benchmark measures its subject and a
// baseline in the same run, interleaved, over several rounds, and writes
// the figures as an artifact (bench-<release>.json) that comes back from
// the guest like the load report. Figures are ratios subject/baseline, so
// they compare across kernels and machines; those from TCG guests are
// emulated and labelled so.
package benchsuite
