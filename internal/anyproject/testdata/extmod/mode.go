// Package extmod is a project that is not bpflab: its own eBPF object and
// its own go test, run through `bpflab matrix` and `bpflab check` from
// this directory (see internal/anyproject).
package extmod

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
)

// LoopMode says how the tracer walks its entries: with bpf_loop where the
// kernel has it (5.17+), else with the unrolled fallback. Which branch ran
// on which kernel is what `bpflab matrix --cover` shows.
func LoopMode() string {
	if features.HaveProgramHelper(ebpf.TracePoint, asm.FnLoop) == nil {
		return "bpf_loop"
	}
	return "unrolled"
}
