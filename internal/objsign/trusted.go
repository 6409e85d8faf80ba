package objsign

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The project's trusted public keys, committed under trusted/. Rotating the
// release key means adding the new .pub here, re-signing, then removing the
// old one.
//
//go:embed trusted/*.pub
var builtin embed.FS

// EnvTrustedKeys names a colon-separated list of public key files that, when
// set, replaces the built-in keys: a user pins their own signing key.
const EnvTrustedKeys = "BPFLAB_TRUSTED_KEYS"

// BuiltinKeys returns the keys committed with bpflab.
func BuiltinKeys() ([]PublicKey, error) {
	paths, err := fs.Glob(builtin, "trusted/*.pub")
	if err != nil {
		return nil, err
	}
	var keys []PublicKey
	for _, p := range paths {
		data, err := builtin.ReadFile(p)
		if err != nil {
			return nil, err
		}
		k, err := ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("built-in key %s: %w", p, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// TrustedKeys returns the keys objects are verified against: the files
// listed in $BPFLAB_TRUSTED_KEYS if set, else the built-in keys.
func TrustedKeys() ([]PublicKey, error) {
	env := strings.TrimSpace(os.Getenv(EnvTrustedKeys))
	if env == "" {
		return BuiltinKeys()
	}
	var keys []PublicKey
	for _, p := range filepath.SplitList(env) {
		if p == "" {
			continue
		}
		k, err := LoadPublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTrustedKeys, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s is set but names no key files", EnvTrustedKeys)
	}
	return keys, nil
}

// VerifyFile verifies path against path+".sig" with the trusted keys.
func VerifyFile(path string, trusted []PublicKey) (*Verified, error) {
	obj, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read object: %w", err)
	}
	sig, err := os.ReadFile(path + ".sig")
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read signature: %w", err)
	}
	v, err := Verify(obj, sig, trusted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// SignFile writes path+".sig" for the object at path.
func SignFile(path string, key PrivateKey) error {
	obj, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read object: %w", err)
	}
	return os.WriteFile(path+".sig", Sign(obj, key).Marshal(), 0o644)
}
