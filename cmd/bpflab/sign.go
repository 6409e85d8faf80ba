package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpflab/bpflab/internal/objsign"
)

// defaultSigningKey is where the release key lives on a maintainer's machine;
// it is never in the repository.
func defaultSigningKey() string {
	if p := os.Getenv("BPFLAB_SIGNING_KEY"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "bpflab", "signing.key")
}

func runVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	keyFile := fs.String("key", "", "trust only this public key file (default: $BPFLAB_TRUSTED_KEYS or the built-in keys)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return usageError{"name at least one BPF object, e.g. bpflab verify bpf/firewall/firewall_bpfel.o"}
	}
	var keys []objsign.PublicKey
	if *keyFile != "" {
		k, err := objsign.LoadPublicKey(*keyFile)
		if err != nil {
			return usageError{err.Error()}
		}
		keys = []objsign.PublicKey{k}
	} else {
		var err error
		if keys, err = objsign.TrustedKeys(); err != nil {
			return err
		}
	}
	failed := 0
	for _, p := range fs.Args() {
		v, err := objsign.VerifyFile(p, keys)
		if err != nil {
			fmt.Fprintf(os.Stderr, "REFUSED  %v\n", err)
			failed++
			continue
		}
		fmt.Printf("OK       %s  sha256 %s  signer %q (key %s)\n", p, v.SHA256, v.Signer, v.KeyID)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d objects failed verification", failed, fs.NArg())
	}
	return nil
}

func runSign(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyFile := fs.String("key", defaultSigningKey(), "private signing key ($BPFLAB_SIGNING_KEY)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() == 0 {
		return usageError{"name the objects to sign"}
	}
	key, err := objsign.LoadPrivateKey(*keyFile)
	if err != nil {
		return usageError{fmt.Sprintf("%v\n(create one with `bpflab keygen --signer NAME --out FILE` and add its .pub to internal/objsign/trusted/; see README, Signing)", err)}
	}
	for _, p := range fs.Args() {
		if err := objsign.SignFile(p, key); err != nil {
			return fmt.Errorf("sign %s: %w", p, err)
		}
		fmt.Printf("signed %s with key %s (%s)\n", p, key.Public().ID(), key.Signer)
	}
	return nil
}

func runKeygen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	signer := fs.String("signer", "", "name of the key holder (required)")
	out := fs.String("out", defaultSigningKey(), "where to write the private key; the public key goes to OUT.pub")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *signer == "" {
		return usageError{"--signer is required, e.g. --signer 'bpflab release key 2026'"}
	}
	if _, err := os.Stat(*out); err == nil {
		return usageError{fmt.Sprintf("%s exists; refusing to overwrite a signing key", *out)}
	}
	k, err := objsign.GenerateKey(*signer)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(*out, k.Marshal(), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(*out+".pub", k.Public().Marshal(), 0o644); err != nil {
		return err
	}
	fmt.Printf("private key %s (keep it secret)\npublic key  %s.pub (key id %s)\n", *out, *out, k.Public().ID())
	return nil
}
