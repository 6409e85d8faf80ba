// Package probe answers "does this kernel have feature X?" by trying it
// (cilium/ebpf's features package where it has a probe), never by parsing
// version strings. Each feature documents the upstream version that
// introduced it; Check compares probe results with the running kernel's
// version and reports disagreements: a feature missing on a kernel newer
// than its minimum is a probe bug, a disabled kernel option or a distro
// difference, and is reported, not hidden.
//
// Skip(t, probe.RingBuf) skips a test with the probed reason, e.g.
// "ring buffer: not supported (needs 5.8, kernel 5.4.0)", and fails instead
// when the kernel is new enough that the feature should be there.
package probe
