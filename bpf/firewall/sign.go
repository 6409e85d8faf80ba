package firewall

import (
	_ "embed"

	"github.com/bpflab/bpflab/internal/objsign"
)

// The object's detached signature, made by `go generate` with the release
// key (internal/objsign). Load refuses the object unless it verifies.
//
//go:embed firewall_bpfel.o.sig
var objectSignature []byte

// Signing selects the object and the keys it must be signed by.
type Signing = objsign.Signing

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: "firewall_bpfel.o", Data: _FirewallBytes, Signature: objectSignature}
}
