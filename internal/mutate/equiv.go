package mutate

import (
	"fmt"
	"sort"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// sameCode reports whether two objects have the same programs, instruction
// for instruction (with the same map and call references). Source line
// info and BTF strings differ after any edit, so bytes cannot be compared:
// a mutant that compiles to the same instructions is equivalent by
// construction, and no test could ever kill it.
func sameCode(a, b string) (bool, error) {
	sa, err := ebpf.LoadCollectionSpec(a)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", a, err)
	}
	sb, err := ebpf.LoadCollectionSpec(b)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", b, err)
	}
	if len(sa.Programs) != len(sb.Programs) {
		return false, nil
	}
	names := make([]string, 0, len(sa.Programs))
	for n := range sa.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pb, ok := sb.Programs[n]
		if !ok || !sameInsns(sa.Programs[n].Instructions, pb.Instructions) {
			return false, nil
		}
	}
	// Constants in .rodata/.data are code too (e.g. a const volatile default).
	for n, m := range sa.Maps {
		mb, ok := sb.Maps[n]
		if !ok || fmt.Sprint(m.Contents) != fmt.Sprint(mb.Contents) || m.MaxEntries != mb.MaxEntries || m.Flags != mb.Flags {
			return false, nil
		}
	}
	return true, nil
}

func sameInsns(a, b asm.Instructions) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.OpCode != y.OpCode || x.Dst != y.Dst || x.Src != y.Src || x.Offset != y.Offset ||
			x.Constant != y.Constant || x.Reference() != y.Reference() || x.Symbol() != y.Symbol() {
			return false
		}
		if coreString(&x) != coreString(&y) {
			return false
		}
	}
	return true
}

// coreString describes an instruction's CO-RE relocation ("" for none).
func coreString(ins *asm.Instruction) string {
	if r := btf.CORERelocationMetadata(ins); r != nil {
		return r.String()
	}
	return ""
}
