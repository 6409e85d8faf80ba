package objsign

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

const (
	publicTag  = "bpflab-ed25519-public"
	privateTag = "bpflab-ed25519-private"
)

// PublicKey is a trusted verification key and the name of its holder.
type PublicKey struct {
	Key    ed25519.PublicKey
	Signer string
}

// ID is a short, stable fingerprint of the key (first 8 bytes of its SHA-256).
func (k PublicKey) ID() string {
	sum := sha256.Sum256(k.Key)
	return hex.EncodeToString(sum[:8])
}

// Marshal renders the key in its one-line file format.
func (k PublicKey) Marshal() []byte {
	return []byte(fmt.Sprintf("%s %s %s\n", publicTag, base64.StdEncoding.EncodeToString(k.Key), k.Signer))
}

// PrivateKey signs objects; it never leaves the signer's machine.
type PrivateKey struct {
	Key    ed25519.PrivateKey
	Signer string
}

// Public returns the matching public key.
func (k PrivateKey) Public() PublicKey {
	return PublicKey{Key: k.Key.Public().(ed25519.PublicKey), Signer: k.Signer}
}

// Marshal renders the key in its one-line file format (store it with mode 0600).
func (k PrivateKey) Marshal() []byte {
	return []byte(fmt.Sprintf("%s %s %s\n", privateTag, base64.StdEncoding.EncodeToString(k.Key.Seed()), k.Signer))
}

// GenerateKey makes a new key pair for signer.
func GenerateKey(signer string) (PrivateKey, error) {
	if strings.TrimSpace(signer) == "" {
		return PrivateKey{}, fmt.Errorf("generate key: signer name must not be empty")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("generate key: %w", err)
	}
	return PrivateKey{Key: priv, Signer: signer}, nil
}

// ParsePublicKey parses the one-line public key format.
func ParsePublicKey(data []byte) (PublicKey, error) {
	raw, signer, err := parseKeyLine(data, publicTag, ed25519.PublicKeySize)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Key: ed25519.PublicKey(raw), Signer: signer}, nil
}

// ParsePrivateKey parses the one-line private key format.
func ParsePrivateKey(data []byte) (PrivateKey, error) {
	seed, signer, err := parseKeyLine(data, privateTag, ed25519.SeedSize)
	if err != nil {
		return PrivateKey{}, err
	}
	return PrivateKey{Key: ed25519.NewKeyFromSeed(seed), Signer: signer}, nil
}

func parseKeyLine(data []byte, tag string, size int) ([]byte, string, error) {
	fields := strings.Fields(strings.TrimSpace(string(data)))
	if len(fields) < 3 || fields[0] != tag {
		return nil, "", fmt.Errorf("not a %q key: want %q <base64> <signer>", tag, tag)
	}
	raw, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return nil, "", fmt.Errorf("%s: bad base64: %w", tag, err)
	}
	if len(raw) != size {
		return nil, "", fmt.Errorf("%s: key is %d bytes, want %d", tag, len(raw), size)
	}
	return raw, strings.Join(fields[2:], " "), nil
}

// LoadPublicKey reads a public key file.
func LoadPublicKey(path string) (PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return PublicKey{}, fmt.Errorf("read public key: %w", err)
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key %s: %w", path, err)
	}
	return k, nil
}

// LoadPrivateKey reads a private key file and refuses one others can read.
func LoadPrivateKey(path string) (PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("private key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return PrivateKey{}, fmt.Errorf("private key %s is readable by others (mode %v); run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("read private key: %w", err)
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("private key %s: %w", path, err)
	}
	return k, nil
}
