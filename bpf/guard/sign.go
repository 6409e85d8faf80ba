package guard

import (
	_ "embed"

	"github.com/bpflab/bpflab/internal/objsign"
)

// The objects' detached signatures, made by `go generate` with the release
// key (internal/objsign): one per byte order.
//
//go:embed guard_bpfel.o.sig
var signatureEL []byte

//go:embed guard_bpfeb.o.sig
var signatureEB []byte

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: objsign.ObjectName("guard"), Data: _GuardBytes, Signature: objsign.Native(signatureEL, signatureEB)}
}
