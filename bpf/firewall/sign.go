package firewall

import (
	_ "embed"

	"github.com/cilium/ebpf"

	"github.com/bpflab/bpflab/bpf/objsign"
)

// The object's detached signature, made by `go generate` with the release
// key (bpf/objsign). Load refuses the object unless it verifies.
//
//go:embed firewall_bpfel.o.sig
var objectSignature []byte

// Signing lets callers (and tests) swap in another object and key set; the
// zero value means the embedded object, verified against objsign.TrustedKeys.
type Signing struct {
	// Object replaces the embedded object when Data is set.
	Object objsign.Object
	// TrustedKeys replaces objsign.TrustedKeys() when non-nil.
	TrustedKeys []objsign.PublicKey
}

func (s Signing) loadSpec() (*ebpf.CollectionSpec, error) {
	obj := s.Object
	if obj.Data == nil {
		obj = EmbeddedObject()
	}
	spec, _, err := objsign.LoadSpec(obj, s.TrustedKeys)
	return spec, err
}

// EmbeddedObject returns the object compiled into bpflab and its signature.
func EmbeddedObject() objsign.Object {
	return objsign.Object{Name: "firewall_bpfel.o", Data: _FirewallBytes, Signature: objectSignature}
}
