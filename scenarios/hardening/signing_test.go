package hardening

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/require"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/harness/testenv"
	"github.com/bpflab/bpflab/internal/objsign"
)

// tamper renames the program inside the ELF, so a tampered object that got
// loaded anyway would show up in the kernel under the new name.
func tamper(t *testing.T, data []byte) []byte {
	t.Helper()
	out := bytes.ReplaceAll(data, []byte("xdp_firewall"), []byte("xdp_tampered"))
	require.NotEqual(t, data, out)
	return out
}

func kernelHasProgram(t *testing.T, name string) bool {
	t.Helper()
	var id ebpf.ProgramID
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		require.NoError(t, err)
		id = next
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue // gone meanwhile
		}
		info, err := p.Info()
		p.Close()
		if err == nil && info.Name == name {
			return true
		}
	}
}

func TestSignedObjectsOnly(t *testing.T) {
	testenv.Setup(t)
	committed := firewall.EmbeddedObject()
	release, err := objsign.BuiltinKeys()
	require.NoError(t, err)
	attacker, err := objsign.GenerateKey("attacker")
	require.NoError(t, err)
	tampered := tamper(t, committed.Data)

	for _, tc := range []struct {
		name    string
		obj     objsign.Object
		trusted []objsign.PublicKey
		wantErr error
	}{
		{"tampered object, original signature", objsign.Object{Name: "tampered.o", Data: tampered, Signature: committed.Signature}, release, objsign.ErrTampered},
		{"unsigned object", objsign.Object{Name: "unsigned.o", Data: tampered}, release, objsign.ErrUnsigned},
		{"signed by an untrusted key", objsign.Object{Name: "evil.o", Data: tampered, Signature: objsign.Sign(tampered, attacker).Marshal()}, release, objsign.ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fw, err := firewall.Load(firewall.Options{Signing: firewall.Signing{Object: tc.obj, TrustedKeys: tc.trusted}})
			if fw != nil {
				fw.Close()
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.ErrorContains(t, err, "refusing to load "+tc.obj.Name)
			t.Logf("user sees: %v", err)
			require.False(t, kernelHasProgram(t, "xdp_tampered"), "a refused object reached the kernel")
		})
	}

	// Control: the detector works. The same tampered object, signed by a
	// key the caller chose to trust, loads and is visible in the kernel.
	t.Run("control: trusted signature loads", func(t *testing.T) {
		spec, v, err := objsign.LoadSpec(objsign.Object{Name: "tampered.o", Data: tampered,
			Signature: objsign.Sign(tampered, attacker).Marshal()}, []objsign.PublicKey{attacker.Public()})
		require.NoError(t, err)
		require.Equal(t, "attacker", v.Signer)
		coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{})
		require.NoError(t, err)
		defer coll.Close()
		require.True(t, kernelHasProgram(t, "xdp_tampered"))
	})

	t.Run("release objects load", func(t *testing.T) {
		fw, err := firewall.Load(firewall.Options{})
		require.NoError(t, err)
		require.NoError(t, fw.Close())
		tr, err := execve.Load(execve.Options{})
		require.NoError(t, err)
		require.NoError(t, tr.Close())
	})
}

func TestKernelSignatureVerification(t *testing.T) {
	testenv.Setup(t)
	ks, err := objsign.ProbeKernelSignatures()
	require.NoError(t, err)
	if !ks.Supported {
		t.Skipf("kernel-side BPF signature verification: %s", ks.Detail)
	}
	t.Logf("kernel verifies BPF program signatures: %s", ks.Detail)
}
