// Package execve holds the execve-count scenario: a child process makes
// exactly N execve calls while keeping its PID, and the execve tracker
// (bpf/execve) must count exactly N for that TGID and deliver N events,
// through both the ring buffer and the perf fallback, while other
// processes exec concurrently. The exec'ing processes run the tiny
// internal/execchain program, not a Go binary, so N can be large under TCG.
// The scenario is a test (execve_test.go) so
// it can run on the host and, built with CGO_ENABLED=0 go test -c, as a
// static binary inside a VM.
package execve
