package objsign

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignPKCS7(t *testing.T) {
	s, err := NewKernelSigner("bpflab test")
	require.NoError(t, err)
	other, err := NewKernelSigner("bpflab other")
	require.NoError(t, err)
	data := []byte{0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}
	p7, err := s.SignPKCS7(data)
	require.NoError(t, err)
	require.NoError(t, verifyPKCS7(s.Cert, data, p7))

	tampered := append([]byte(nil), data...)
	tampered[4] = 1
	require.Error(t, verifyPKCS7(s.Cert, tampered, p7), "tampered data must not verify")
	require.Error(t, verifyPKCS7(other.Cert, data, p7), "another signer's certificate must not verify")
}
