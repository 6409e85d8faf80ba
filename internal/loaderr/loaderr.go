// Package loaderr formats BPF load errors so the whole verifier log reaches the
// user (the plain ebpf.VerifierError message is abbreviated) while errors.As
// still finds the *ebpf.VerifierError underneath.
package loaderr

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// verifierError keeps the whole verifier log in its message (the plain
// ebpf.VerifierError message is abbreviated) while errors.As still finds
// the *ebpf.VerifierError underneath.
type verifierError struct {
	context string
	ve      *ebpf.VerifierError
}

func (e *verifierError) Error() string { return fmt.Sprintf("%s: %+v", e.context, e.ve) }
func (e *verifierError) Unwrap() error { return e.ve }

// Wrap adds context to a load error, spelling out the full
// verifier log when there is one.
func Wrap(context string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		return &verifierError{context: context, ve: ve}
	}
	return fmt.Errorf("%s: %w", context, err)
}
