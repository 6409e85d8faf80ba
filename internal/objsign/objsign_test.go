package objsign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKey(t *testing.T, signer string) PrivateKey {
	t.Helper()
	k, err := GenerateKey(signer)
	require.NoError(t, err)
	return k
}

func TestKeyRoundTrip(t *testing.T) {
	k := testKey(t, "bpflab test key")
	priv, err := ParsePrivateKey(k.Marshal())
	require.NoError(t, err)
	require.Equal(t, k.Key, priv.Key)
	require.Equal(t, "bpflab test key", priv.Signer)
	pub, err := ParsePublicKey(k.Public().Marshal())
	require.NoError(t, err)
	require.Equal(t, k.Public().ID(), pub.ID())

	_, err = ParsePublicKey(k.Marshal())
	require.ErrorContains(t, err, "not a")
	_, err = ParsePublicKey([]byte("bpflab-ed25519-public AAAA x"))
	require.ErrorContains(t, err, "want 32")
}

func TestVerify(t *testing.T) {
	signer := testKey(t, "release")
	other := testKey(t, "attacker")
	obj := []byte("\x7fELF pretend this is a BPF object")
	good := Sign(obj, signer).Marshal()

	tampered := append([]byte{}, obj...)
	tampered[5] ^= 0xff
	forged := Sign(obj, signer)
	forged.Signature[0] ^= 0xff
	// The attacker re-signs a tampered object but claims the release key id.
	resigned := Sign(tampered, other)
	resigned.KeyID = signer.Public().ID()

	trusted := []PublicKey{signer.Public()}
	for _, tc := range []struct {
		name    string
		obj     []byte
		sig     []byte
		wantErr error
	}{
		{"good", obj, good, nil},
		{"unsigned", obj, nil, ErrUnsigned},
		{"tampered object", tampered, good, ErrTampered},
		{"forged signature bytes", obj, forged.Marshal(), ErrBadSignature},
		{"signed by untrusted key", obj, Sign(obj, other).Marshal(), ErrUntrusted},
		{"re-signed with stolen key id", tampered, resigned.Marshal(), ErrBadSignature},
		{"garbage signature file", obj, []byte("hello"), ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(tc.obj, tc.sig, trusted)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, v)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "release", v.Signer)
			require.Equal(t, signer.Public().ID(), v.KeyID)
		})
	}
}

func TestPrivateKeyPermissions(t *testing.T) {
	k := testKey(t, "perm")
	p := filepath.Join(t.TempDir(), "signing.key")
	require.NoError(t, os.WriteFile(p, k.Marshal(), 0o644))
	_, err := LoadPrivateKey(p)
	require.ErrorContains(t, err, "chmod 600")
	require.NoError(t, os.Chmod(p, 0o600))
	got, err := LoadPrivateKey(p)
	require.NoError(t, err)
	require.Equal(t, k.Public().ID(), got.Public().ID())
}

func TestTrustedKeysEnvPinsUserKey(t *testing.T) {
	k := testKey(t, "my team")
	dir := t.TempDir()
	pub := filepath.Join(dir, "team.pub")
	require.NoError(t, os.WriteFile(pub, k.Public().Marshal(), 0o644))
	obj := filepath.Join(dir, "prog.o")
	require.NoError(t, os.WriteFile(obj, []byte("object"), 0o644))
	require.NoError(t, SignFile(obj, k))

	t.Setenv(EnvTrustedKeys, pub)
	keys, err := TrustedKeys()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	v, err := VerifyFile(obj, keys)
	require.NoError(t, err)
	require.Equal(t, "my team", v.Signer)

	builtin, err := BuiltinKeys()
	require.NoError(t, err)
	_, err = VerifyFile(obj, builtin)
	require.ErrorIs(t, err, ErrUntrusted, "a user's key must not be trusted by the built-in set")

	t.Setenv(EnvTrustedKeys, filepath.Join(dir, "missing.pub"))
	_, err = TrustedKeys()
	require.ErrorContains(t, err, "missing.pub")
}

// Every committed BPF object must carry a valid signature by a built-in key:
// this fails when an object was rebuilt and not re-signed.
func TestCommittedObjectsAreSigned(t *testing.T) {
	objs, err := filepath.Glob("../*/*_bpfe[lb].o")
	require.NoError(t, err)
	public, err := filepath.Glob("../../bpf/*/*_bpfe[lb].o")
	require.NoError(t, err)
	objs = append(objs, public...)
	require.NotEmpty(t, objs, "no committed BPF objects found")
	// Every program exists in both byte orders (s390x loads the bpfeb one).
	for _, o := range objs {
		twin := strings.NewReplacer("_bpfel.o", "_bpfeb.o", "_bpfeb.o", "_bpfel.o").Replace(o)
		assert.FileExists(t, twin, "%s has no other-endian twin; bpf2go needs -target bpfel,bpfeb", o)
	}
	keys, err := BuiltinKeys()
	require.NoError(t, err)
	for _, o := range objs {
		_, err := VerifyFile(o, keys)
		require.NoError(t, err, "re-sign with `make sign` (see README, Signing)")
	}
}
