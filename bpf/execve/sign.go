package execve

import (
	_ "embed"

	"github.com/bpflab/bpflab/internal/objsign"
)

// The object's detached signature, made by `go generate` with the release
// key (internal/objsign). Load refuses the object unless it verifies.
//
//go:embed execve_bpfel.o.sig
var signatureEL []byte

//go:embed execve_bpfeb.o.sig
var signatureEB []byte

// Signing selects the object and the keys it must be signed by.
type Signing = objsign.Signing

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: objsign.ObjectName("execve"), Data: _ExecveBytes, Signature: objsign.Native(signatureEL, signatureEB)}
}
