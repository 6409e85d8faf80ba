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
