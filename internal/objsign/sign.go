package objsign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const sigHeader = "bpflab-signature v1"

// Sentinel errors; Verify wraps them with what it found.
var (
	ErrUnsigned     = errors.New("object is not signed")
	ErrTampered     = errors.New("object does not match its signature (tampered or rebuilt without re-signing)")
	ErrUntrusted    = errors.New("object is signed by a key that is not trusted")
	ErrBadSignature = errors.New("signature is invalid")
)

// Signature is a parsed detached signature.
type Signature struct {
	Signer    string
	KeyID     string
	SHA256    [sha256.Size]byte
	Signature []byte
}

// message is what the key signs: a domain tag plus the object's digest.
func message(digest [sha256.Size]byte) []byte {
	return []byte("bpflab-object-signature-v1\n" + hex.EncodeToString(digest[:]) + "\n")
}

// Sign signs obj with key.
func Sign(obj []byte, key PrivateKey) Signature {
	digest := sha256.Sum256(obj)
	return Signature{
		Signer:    key.Signer,
		KeyID:     key.Public().ID(),
		SHA256:    digest,
		Signature: ed25519.Sign(key.Key, message(digest)),
	}
}

// Marshal renders the signature file.
func (s Signature) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nsigner: %s\nkey-id: %s\nobject-sha256: %s\nsignature: %s\n",
		sigHeader, s.Signer, s.KeyID, hex.EncodeToString(s.SHA256[:]), base64.StdEncoding.EncodeToString(s.Signature))
	return b.Bytes()
}

// ParseSignature parses a signature file.
func ParseSignature(data []byte) (Signature, error) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != sigHeader {
		return Signature{}, fmt.Errorf("%w: not a %q file", ErrBadSignature, sigHeader)
	}
	fields := map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return Signature{}, fmt.Errorf("%w: malformed line %q", ErrBadSignature, l)
		}
		fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var s Signature
	s.Signer, s.KeyID = fields["signer"], fields["key-id"]
	digest, err := hex.DecodeString(fields["object-sha256"])
	if err != nil || len(digest) != sha256.Size {
		return Signature{}, fmt.Errorf("%w: bad object-sha256", ErrBadSignature)
	}
	copy(s.SHA256[:], digest)
	s.Signature, err = base64.StdEncoding.DecodeString(fields["signature"])
	if err != nil || len(s.Signature) != ed25519.SignatureSize {
		return Signature{}, fmt.Errorf("%w: bad signature field", ErrBadSignature)
	}
	if s.KeyID == "" {
		return Signature{}, fmt.Errorf("%w: missing key-id", ErrBadSignature)
	}
	return s, nil
}

// Verified describes an object whose signature checked out.
type Verified struct {
	Signer string
	KeyID  string
	SHA256 string
}

// Verify checks obj against its detached signature sig (nil or empty means
// unsigned) using only the trusted keys. It returns an error wrapping one of
// the sentinel errors when the object must not be loaded.
func Verify(obj, sig []byte, trusted []PublicKey) (*Verified, error) {
	digest := sha256.Sum256(obj)
	sum := hex.EncodeToString(digest[:])
	if len(bytes.TrimSpace(sig)) == 0 {
		return nil, fmt.Errorf("%w (sha256 %s)", ErrUnsigned, sum)
	}
	s, err := ParseSignature(sig)
	if err != nil {
		return nil, err
	}
	if s.SHA256 != digest {
		return nil, fmt.Errorf("%w: signed sha256 %s, object sha256 %s", ErrTampered, hex.EncodeToString(s.SHA256[:]), sum)
	}
	var key *PublicKey
	for i := range trusted {
		if trusted[i].ID() == s.KeyID {
			key = &trusted[i]
			break
		}
	}
	if key == nil {
		ids := make([]string, len(trusted))
		for i, k := range trusted {
			ids[i] = k.ID()
		}
		return nil, fmt.Errorf("%w: signed by key %s (%q), trusted keys: %s", ErrUntrusted, s.KeyID, s.Signer, strings.Join(ids, ", "))
	}
	if !ed25519.Verify(key.Key, message(digest), s.Signature) {
		return nil, fmt.Errorf("%w: ed25519 check failed for key %s", ErrBadSignature, s.KeyID)
	}
	return &Verified{Signer: key.Signer, KeyID: key.ID(), SHA256: sum}, nil
}
