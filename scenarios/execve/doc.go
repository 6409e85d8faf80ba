// Package execve holds the execve-count scenario: a child process makes
// exactly N execve calls while keeping its PID, and the execve tracker
// (bpf/execve) must count exactly N for that TGID and deliver N events,
// through both the ring buffer and the perf fallback, while other
// processes exec concurrently. The scenario is a test (execve_test.go) so
// it can run on the host and, built with CGO_ENABLED=0 go test -c, as a
// static binary inside a VM.
package execve
