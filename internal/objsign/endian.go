package objsign

import "encoding/binary"

// bpf2go builds each program twice, "<name>_bpfel.o" and "<name>_bpfeb.o",
// and compiles in the one matching the target's byte order (build tags in
// the generated Go). Each has its own signature; these helpers pick the
// embedded object's name and signature for the running CPU.

// BigEndian reports whether this CPU is big-endian (s390x).
func BigEndian() bool {
	return binary.NativeEndian.Uint16([]byte{0x12, 0x34}) == 0x1234
}

// ObjectName is the bpf2go object file name of ident for this CPU's byte
// order, e.g. "execve_bpfel.o" on amd64 and arm64, "execve_bpfeb.o" on s390x.
func ObjectName(ident string) string {
	if BigEndian() {
		return ident + "_bpfeb.o"
	}
	return ident + "_bpfel.o"
}

// Native returns little on little-endian CPUs and big on big-endian ones.
func Native(little, big []byte) []byte {
	if BigEndian() {
		return big
	}
	return little
}
