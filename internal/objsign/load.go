package objsign

import (
	"bytes"
	"fmt"

	"github.com/cilium/ebpf"
)

// Object is a BPF object with its detached signature.
type Object struct {
	Name      string // for messages, e.g. "firewall_bpfel.o"
	Data      []byte
	Signature []byte
}

// LoadSpec verifies the object against the trusted keys (nil: TrustedKeys())
// and only then parses it. Nothing reaches the kernel from an object that
// fails verification.
func LoadSpec(obj Object, trusted []PublicKey) (*ebpf.CollectionSpec, *Verified, error) {
	if trusted == nil {
		var err error
		if trusted, err = TrustedKeys(); err != nil {
			return nil, nil, fmt.Errorf("verify %s: %w", obj.Name, err)
		}
	}
	v, err := Verify(obj.Data, obj.Signature, trusted)
	if err != nil {
		return nil, nil, fmt.Errorf("refusing to load %s: %w", obj.Name, err)
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj.Data))
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", obj.Name, err)
	}
	return spec, v, nil
}

// Signing selects the object a loader uses and the keys it must be signed
// by; the zero value means the loader's embedded object, verified against
// TrustedKeys(). Tests and users with their own builds set it.
type Signing struct {
	// Object replaces the embedded object when Data is set.
	Object Object
	// TrustedKeys replaces TrustedKeys() when non-nil.
	TrustedKeys []PublicKey
}

// LoadSpec verifies and parses s.Object, or embedded when none is set.
func (s Signing) LoadSpec(embedded Object) (*ebpf.CollectionSpec, error) {
	obj := s.Object
	if obj.Data == nil {
		obj = embedded
	}
	spec, _, err := LoadSpec(obj, s.TrustedKeys)
	return spec, err
}
