package check

import (
	"errors"
	"regexp"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// Code classifies a failure. The values are stable: baselines and CI
// gates compare them across runs.
type Code string

const (
	OK                   Code = ""
	InvalidObject        Code = "INVALID_OBJECT"          // not a BPF ELF cilium/ebpf can read
	UnsupportedMapType   Code = "UNSUPPORTED_MAP_TYPE"    // the kernel has no such map type
	UnsupportedProgType  Code = "UNSUPPORTED_PROG_TYPE"   // the kernel has no such program type
	UnsupportedAttach    Code = "UNSUPPORTED_ATTACH_TYPE" // loadable, but this attach mechanism is missing
	MissingHelper        Code = "MISSING_HELPER"          // a helper or kfunc the kernel lacks
	CORERelocationFailed Code = "CORE_RELOCATION_FAILED"  // a CO-RE relocation has no target in this kernel
	MissingKernelBTF     Code = "MISSING_KERNEL_BTF"      // CO-RE or BTF attach needs kernel BTF, absent
	MissingMap           Code = "MISSING_MAP"             // a map the program uses could not be created
	VerifierRejected     Code = "VERIFIER_REJECTED"       // the verifier said no (log tail kept)
	Permission           Code = "PERMISSION"              // EPERM/EACCES before the verifier
	AttachFailed         Code = "ATTACH_FAILED"           // loaded, attach refused
	WrongByteOrder       Code = "WRONG_BYTE_ORDER"        // a bpfel object on a big-endian kernel, or the reverse
	LoadFailed           Code = "LOAD_FAILED"             // anything else (message kept)
)

// Kind says what failed to classify: map creation, program load, attach.
type Kind int

const (
	KindMap Kind = iota
	KindProg
	KindAttach
)

// helperRE finds a helper the kernel lacks, or does not offer to this
// program type, in the verifier log.
var helperRE = regexp.MustCompile(`(?:unknown func|invalid func|cannot use helper) ([A-Za-z0-9_]+#\d+)`)

// Classify maps an error from cilium/ebpf to a Code and a one-line detail.
// The verifier log is read where the errno alone is ambiguous (EACCES and
// EINVAL are what the verifier returns for most rejections).
func Classify(kind Kind, err error) (Code, string) {
	if err == nil {
		return OK, ""
	}
	msg := err.Error()
	var ve *ebpf.VerifierError
	hasLog := errors.As(err, &ve) && len(ve.Log) > 0
	log := ""
	if hasLog {
		log = strings.Join(ve.Log, "\n")
	}
	switch {
	case strings.Contains(msg, "can't load LittleEndian program on BigEndian") ||
		strings.Contains(msg, "can't load BigEndian program on LittleEndian"):
		// Build the object for both orders (bpf2go -target bpfel,bpfeb).
		return WrongByteOrder, msg
	case errors.Is(err, btf.ErrNotSupported) && strings.Contains(msg, "kernel"),
		strings.Contains(msg, "load kernel spec") && !strings.Contains(msg, "find target"):
		return MissingKernelBTF, msg
	case strings.Contains(msg, "bad CO-RE relocation") || strings.Contains(log, "bad CO-RE relocation") ||
		strings.Contains(msg, "apply CO-RE relocations"):
		return CORERelocationFailed, msg
	case kind == KindAttach && errors.Is(err, ebpf.ErrNotSupported):
		return UnsupportedAttach, msg
	case kind == KindAttach:
		return AttachFailed, msg
	case errors.Is(err, ebpf.ErrNotSupported) && kind == KindMap:
		return UnsupportedMapType, msg
	case errors.Is(err, ebpf.ErrNotSupported):
		return UnsupportedProgType, msg
	case strings.Contains(msg, "unknown kfunc") || helperRE.MatchString(log):
		if m := helperRE.FindStringSubmatch(log); m != nil {
			return MissingHelper, m[1]
		}
		return MissingHelper, msg
	case hasLog && (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.E2BIG) || errors.Is(err, unix.ERANGE)):
		return VerifierRejected, msg
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return Permission, msg
	}
	return LoadFailed, msg
}
