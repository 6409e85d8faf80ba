package guard

import (
	_ "embed"

	"github.com/bpflab/bpflab/internal/objsign"
)

// The object's detached signature, made by `go generate` with the release
// key (internal/objsign).
//
//go:embed guard_bpfel.o.sig
var objectSignature []byte

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: "guard_bpfel.o", Data: _GuardBytes, Signature: objectSignature}
}
