// Package check answers "will this BPF object load and attach on this
// kernel, and if not, why" for any ELF object built libbpf-style (SEC()
// names, BTF .maps), as bpfcompat does, on every kernel of the matrix.
//
// In each kernel (the host, or a guest where bpflab runs itself as
// `bpflab check --local`), every map is created and every program loaded
// on its own, then attached where that needs no outside set-up: XDP and
// TC to lo in a private network namespace, tracepoints, raw tracepoints,
// kprobes, fentry/fexit/LSM, socket filters on a fresh socket. Failures
// carry a stable code (see Code) and the kernel's evidence (errno,
// verifier log tail), so a CI gate can fail on regressions only.
//
// Results travel as one JSON line per map or program, prefixed with
// LinePrefix, in the binary's output; Parse turns them into report tests
// (package = object file, test = "map/NAME" or "prog/NAME").
package check
