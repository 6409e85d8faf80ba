// Package loadreport builds a per-kernel load report for BPF objects: for
// every program, each CO-RE relocation and what it resolved to against the
// running kernel's BTF (or "missing"), the verifier's statistics, and on a
// failed load the full verifier log with the offending instruction marked.
//
// Reports serialise to JSON (the matrix keeps one per kernel) and Diff
// lists what differs between two kernels' reports.
package loadreport
