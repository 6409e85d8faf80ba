package loaderr

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWrapKeepsWholeLog(t *testing.T) {
	log := []string{"0: R1=ctx() R10=fp0"}
	for i := range 20 {
		log = append(log, fmt.Sprintf("%d: (69) r1 = *(u16 *)(r8 +12)", i+1))
	}
	log = append(log, "invalid access to packet, off=12 size=2")
	ve := &ebpf.VerifierError{Cause: syscall.EACCES, Log: log}

	err := Wrap("load thing", fmt.Errorf("load program: %w", ve))
	var got *ebpf.VerifierError
	require.True(t, errors.As(err, &got), "errors.As must find the verifier error")
	assert.Same(t, ve, got)
	assert.True(t, strings.HasPrefix(err.Error(), "load thing: "))
	for _, line := range log {
		assert.Contains(t, err.Error(), line)
	}

	plain := Wrap("load thing", syscall.EPERM)
	assert.ErrorIs(t, plain, syscall.EPERM)
	assert.Equal(t, "load thing: "+syscall.EPERM.Error(), plain.Error())
}
