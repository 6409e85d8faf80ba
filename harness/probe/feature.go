package probe

import (
	"encoding/binary"
	"github.com/bpflab/bpflab/internal/kernelbtf"

	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"

	"github.com/bpflab/bpflab/internal/objsign"
)

// Feature is a kernel capability bpflab or its scenarios rely on.
type Feature int

const (
	RingBuf          Feature = iota // BPF_MAP_TYPE_RINGBUF (execve events)
	XDPLink                         // BPF link for XDP (firewall attach)
	BatchOps                        // BPF_MAP_*_BATCH on hash maps
	LPMBatchOps                     // BPF_MAP_UPDATE_BATCH on LPM tries (firewall Replace)
	Token                           // BPF token (BPF_TOKEN_CREATE)
	BPFLoop                         // bpf_loop helper
	CapBPF                          // CAP_BPF / CAP_PERFMON capabilities
	KernelSignatures                // kernel verification of signed BPF programs
	KernelBTF                       // /sys/kernel/btf/vmlinux (CO-RE)
	Tracepoint                      // BPF_PROG_TYPE_TRACEPOINT (execve, core)
	XDP                             // BPF_PROG_TYPE_XDP (firewall)
	ArrayOfMaps                     // BPF_MAP_TYPE_ARRAY_OF_MAPS (firewall blocklist)
	LPMTrie                         // BPF_MAP_TYPE_LPM_TRIE (firewall blocklist)
	ProbeReadKernel                 // bpf_probe_read_kernel (CO-RE reads)
	numFeatures
)

// All lists every feature in a stable order.
func All() []Feature {
	out := make([]Feature, numFeatures)
	for i := range out {
		out[i] = Feature(i)
	}
	return out
}

// info documents a feature: its name, the upstream version that introduced
// it (zero: no documented minimum, reported but never a disagreement), and
// the probe.
type info struct {
	name  string
	min   Version
	probe func() (supported bool, detail string, err error)
}

func (f Feature) info() info {
	switch f {
	case RingBuf:
		return info{"ring buffer", Version{5, 8}, mapType(ebpf.RingBuf)}
	case XDPLink:
		return info{"BPF link for XDP", Version{5, 9}, probeXDPLink}
	case BatchOps:
		return info{"batch map ops (hash)", Version{5, 6}, probeBatch(ebpf.Hash, 4)}
	case LPMBatchOps:
		// Not documented per map type upstream; probed because
		// firewall.Replace uses it and falls back without it.
		return info{"batch map ops (LPM trie)", Version{}, probeBatch(ebpf.LPMTrie, 8)}
	case Token:
		return info{"BPF token", Version{6, 9}, probeToken}
	case BPFLoop:
		return info{"bpf_loop helper", Version{5, 17}, helper(ebpf.XDP, asm.FnLoop)}
	case CapBPF:
		return info{"CAP_BPF", Version{5, 8}, probeCapBPF}
	case KernelSignatures:
		return info{"kernel BPF signature verification", Version{6, 18}, probeSignatures}
	case KernelBTF:
		return info{"kernel BTF", Version{5, 4}, probeKernelBTF}
	case Tracepoint:
		return info{"tracepoint programs", Version{4, 7}, progType(ebpf.TracePoint)}
	case XDP:
		return info{"XDP programs", Version{4, 8}, progType(ebpf.XDP)}
	case ArrayOfMaps:
		return info{"array of maps", Version{4, 12}, mapType(ebpf.ArrayOfMaps)}
	case LPMTrie:
		return info{"LPM trie", Version{4, 11}, mapType(ebpf.LPMTrie)}
	case ProbeReadKernel:
		return info{"bpf_probe_read_kernel helper", Version{5, 5}, helper(ebpf.TracePoint, asm.FnProbeReadKernel)}
	}
	return info{name: fmt.Sprintf("Feature(%d)", int(f)), probe: func() (bool, string, error) {
		return false, "", fmt.Errorf("unknown feature %d", int(f))
	}}
}

func (f Feature) String() string { return f.info().name }

// MinVersion is the upstream kernel version that introduced the feature
// (zero if there is no documented minimum).
func (f Feature) MinVersion() Version { return f.info().min }

// fromCilium maps a cilium/ebpf features result: nil is supported,
// ErrNotSupported is conclusive "no", anything else is inconclusive.
func fromCilium(err error) (bool, string, error) {
	switch {
	case err == nil:
		return true, "probe succeeded", nil
	case errors.Is(err, ebpf.ErrNotSupported):
		return false, err.Error(), nil
	}
	return false, "", err
}

func mapType(t ebpf.MapType) func() (bool, string, error) {
	return func() (bool, string, error) { return fromCilium(features.HaveMapType(t)) }
}

func progType(t ebpf.ProgramType) func() (bool, string, error) {
	return func() (bool, string, error) { return fromCilium(features.HaveProgramType(t)) }
}

func helper(t ebpf.ProgramType, fn asm.BuiltinFunc) func() (bool, string, error) {
	return func() (bool, string, error) { return fromCilium(features.HaveProgramHelper(t, fn)) }
}

func probeBatch(t ebpf.MapType, keySize uint32) func() (bool, string, error) {
	return func() (bool, string, error) {
		spec := &ebpf.MapSpec{Type: t, KeySize: keySize, ValueSize: 4, MaxEntries: 4}
		if t == ebpf.LPMTrie {
			spec.Flags = unix.BPF_F_NO_PREALLOC
		}
		m, err := ebpf.NewMap(spec)
		if err != nil {
			return fromCilium(fmt.Errorf("create %s map: %w", t, err))
		}
		defer m.Close()
		// LPM key: prefix length 8 (a u32 in the CPU's byte order: a
		// fixed little-endian 8 is 2^27 on s390x, and EINVAL), then
		// 192.0.0.0 in network order; hash key: any value.
		keys := any([]uint32{1})
		if keySize == 8 {
			var k [8]byte
			binary.NativeEndian.PutUint32(k[:4], 8)
			copy(k[4:], []byte{192, 0, 0, 0})
			keys = [][8]byte{k}
		}
		_, err = m.BatchUpdate(keys, []uint32{1}, nil)
		if err != nil {
			return fromCilium(fmt.Errorf("BPF_MAP_UPDATE_BATCH on %s: %w", t, err))
		}
		return true, fmt.Sprintf("BPF_MAP_UPDATE_BATCH on a %s map worked", t), nil
	}
}

// probeToken calls BPF_TOKEN_CREATE with an invalid bpffs fd: a kernel
// with tokens answers EBADF, one without rejects the command (EINVAL).
func probeToken() (bool, string, error) {
	const bpfTokenCreate = 36
	attr := struct{ flags, bpffsFD uint32 }{0, ^uint32(0)}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, bpfTokenCreate, uintptrOf(&attr), 8)
	switch errno {
	case 0:
		unix.Close(int(fd))
		return true, "BPF_TOKEN_CREATE accepted an invalid fd (unexpected, but the command exists)", nil
	case unix.EBADF:
		return true, "BPF_TOKEN_CREATE exists (EBADF for an invalid bpffs fd)", nil
	case unix.EINVAL:
		return false, "BPF_TOKEN_CREATE is unknown (EINVAL)", nil
	}
	return false, "", fmt.Errorf("BPF_TOKEN_CREATE: %w", errno)
}

// probeCapBPF reads the highest capability the kernel knows; CAP_BPF is 39.
func probeCapBPF() (bool, string, error) {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return false, "", fmt.Errorf("read cap_last_cap: %w", err)
	}
	last, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return false, "", fmt.Errorf("parse cap_last_cap %q: %w", data, err)
	}
	if last >= unix.CAP_BPF {
		return true, fmt.Sprintf("cap_last_cap is %d (CAP_BPF is %d)", last, unix.CAP_BPF), nil
	}
	return false, fmt.Sprintf("cap_last_cap is %d, below CAP_BPF (%d)", last, unix.CAP_BPF), nil
}

func probeSignatures() (bool, string, error) {
	ks, err := objsign.ProbeKernelSignatures()
	if err != nil {
		return false, "", err
	}
	return ks.Supported, ks.Detail, nil
}

// probeKernelBTF: the kernel's own BTF, or a detached file generated for
// it from its debug package (internal/kernelbtf), which CO-RE loads use
// the same way.
func probeKernelBTF() (bool, string, error) {
	path, ok, err := kernelbtf.Source()
	switch {
	case err != nil:
		return false, "", err
	case !ok:
		return false, kernelbtf.SysFile + " is missing and no external BTF is given ($" + kernelbtf.EnvFile + ")", nil
	case path == kernelbtf.SysFile:
		return true, path + " exists", nil
	}
	return true, "external BTF " + path + " (the kernel has none of its own)", nil
}
