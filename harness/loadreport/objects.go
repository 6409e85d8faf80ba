package loadreport

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"

	"github.com/bpflab/bpflab/bpf/core"
	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/bpf/firewall"
)

// Object names used in reports.
const (
	ObjectFirewall = "firewall"
	ObjectExecve   = "execve"
	ObjectCore     = "core"
)

// Bpflab returns bpflab's own objects: the firewall, the execve tracker
// and the CO-RE portability program.
func Bpflab() []Object {
	return []Object{
		{Name: ObjectFirewall, Object: firewall.EmbeddedObject()},
		{Name: ObjectExecve, Object: execve.EmbeddedObject(), Prepare: prepareExecve},
		{Name: ObjectCore, Object: core.EmbeddedObject()},
	}
}

// prepareExecve mirrors bpf/execve.Load on kernels without ring buffers:
// the program then uses the perf path and the ring buffer map, which such
// a kernel cannot create, is replaced by a stand-in.
func prepareExecve(spec *ebpf.CollectionSpec) error {
	err := features.HaveMapType(ebpf.RingBuf)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ebpf.ErrNotSupported) {
		return fmt.Errorf("probe ring buffer: %w", err)
	}
	if v, ok := spec.Variables["use_ringbuf"]; ok {
		if err := v.Set(false); err != nil {
			return fmt.Errorf("set use_ringbuf: %w", err)
		}
	}
	spec.Maps["events_rb"] = &ebpf.MapSpec{Name: "events_rb", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1}
	return nil
}
