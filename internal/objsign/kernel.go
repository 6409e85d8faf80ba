package objsign

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// KernelSupport says whether the running kernel can itself verify BPF
// program signatures (BPF_PROG_LOAD's signature/keyring_id fields, merged
// for 6.18), as found by a probe.
type KernelSupport struct {
	Supported bool
	Detail    string // what the probe saw, for reports and skip messages
}

// progLoadAttr is the BPF_PROG_LOAD part of union bpf_attr up to the
// signature fields (168 bytes); older kernels reject the non-zero tail
// with E2BIG, which is the probe's signal.
type progLoadAttr struct {
	progType        uint32
	insnCnt         uint32
	insns           uint64
	license         uint64
	logLevel        uint32
	logSize         uint32
	logBuf          uint64
	kernVersion     uint32
	progFlags       uint32
	progName        [16]byte
	progIfindex     uint32
	expectedAttach  uint32
	progBTFFd       uint32
	funcInfoRecSize uint32
	funcInfo        uint64
	funcInfoCnt     uint32
	lineInfoRecSize uint32
	lineInfo        uint64
	lineInfoCnt     uint32
	attachBTFID     uint32
	attachProgFd    uint32
	coreReloCnt     uint32
	fdArray         uint64
	coreRelos       uint64
	coreReloRecSize uint32
	logTrueSize     uint32
	progTokenFd     int32
	fdArrayCnt      uint32
	signature       uint64
	signatureSize   uint32
	keyringID       int32
}

// ProbeKernelSignatures loads a trivial socket filter carrying a bogus
// signature. A kernel without the feature refuses the unknown attribute
// tail (E2BIG); one with it must reject the signature itself.
func ProbeKernelSignatures() (KernelSupport, error) {
	insns := [2]uint64{0x00000000000000b7, 0x0000000000000095} // r0 = 0; exit
	license := []byte("GPL\x00")
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = 0x5a
	}
	attr := progLoadAttr{
		progType:      uint32(unix.BPF_PROG_TYPE_SOCKET_FILTER),
		insnCnt:       uint32(len(insns)),
		insns:         uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:       uint64(uintptr(unsafe.Pointer(&license[0]))),
		signature:     uint64(uintptr(unsafe.Pointer(&sig[0]))),
		signatureSize: uint32(len(sig)),
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	runtime.KeepAlive(sig)
	switch {
	case errno == 0:
		unix.Close(int(fd))
		return KernelSupport{}, errors.New("probe kernel signatures: the kernel loaded a program with a bogus signature; refusing to trust its signature checks")
	case errno == unix.E2BIG:
		return KernelSupport{Detail: "BPF_PROG_LOAD has no signature field (E2BIG): the kernel cannot verify program signatures (merged for 6.18); bpflab's own ed25519 check still applies"}, nil
	case errno == unix.EOPNOTSUPP:
		return KernelSupport{Detail: "BPF_PROG_LOAD knows the signature field but answered EOPNOTSUPP: this kernel build cannot verify program signatures; bpflab's own ed25519 check still applies"}, nil
	case errno == unix.EPERM:
		return KernelSupport{}, fmt.Errorf("probe kernel signatures: %w (needs CAP_BPF)", errno)
	default:
		return KernelSupport{Supported: true, Detail: fmt.Sprintf("BPF_PROG_LOAD takes a signature and rejected a bogus one: %v", errno)}, nil
	}
}

// LoadKernelSigned loads insns (raw little-endian BPF instructions) as a
// socket filter through BPF_PROG_LOAD with a signature the kernel checks
// against the keys of keyring keyringID (a key serial, or a special id such
// as KEY_SPEC_PROCESS_KEYRING). It returns the kernel's errno; a program that
// loads is closed at once.
func LoadKernelSigned(insns, signature []byte, keyringID int32) error {
	if len(insns) == 0 || len(insns)%8 != 0 || len(signature) == 0 {
		return fmt.Errorf("load kernel-signed program: %d bytes of instructions, %d of signature", len(insns), len(signature))
	}
	license := []byte("GPL\x00")
	attr := progLoadAttr{
		progType:      uint32(unix.BPF_PROG_TYPE_SOCKET_FILTER),
		insnCnt:       uint32(len(insns) / 8),
		insns:         uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:       uint64(uintptr(unsafe.Pointer(&license[0]))),
		signature:     uint64(uintptr(unsafe.Pointer(&signature[0]))),
		signatureSize: uint32(len(signature)),
		keyringID:     keyringID,
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	runtime.KeepAlive(signature)
	if errno != 0 {
		return fmt.Errorf("load kernel-signed program: %w", errno)
	}
	return unix.Close(int(fd))
}
