package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bpflab/bpflab/internal/cli/command"
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

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("verify", "bpflab verify [--key FILE.pub] OBJECT...", stdout)
	keyFile := fs.String("key", "", "trust only this public key file (default: $BPFLAB_TRUSTED_KEYS or the built-in keys)")
	objects, err := fs.ParseInterleaved(args)
	if err != nil {
		return err
	}
	if len(objects) == 0 {
		return command.Usagef("name at least one BPF object, e.g. bpflab verify bpf/firewall/firewall_bpfel.o")
	}
	var keys []objsign.PublicKey
	if *keyFile != "" {
		k, err := objsign.LoadPublicKey(*keyFile)
		if err != nil {
			return command.AsUsage(err)
		}
		keys = []objsign.PublicKey{k}
	} else if keys, err = objsign.TrustedKeys(); err != nil {
		return err
	}
	failed := 0
	for _, p := range objects {
		v, err := objsign.VerifyFile(p, keys)
		if err != nil {
			fmt.Fprintf(stderr, "REFUSED  %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "OK       %s  sha256 %s  signer %q (key %s)\n", p, v.SHA256, v.Signer, v.KeyID)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d objects failed verification", failed, len(objects))
	}
	return nil
}

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("sign", "bpflab sign [--key FILE] OBJECT...", stdout)
	keyFile := fs.String("key", defaultSigningKey(), "private signing key ($BPFLAB_SIGNING_KEY)")
	objects, err := fs.ParseInterleaved(args)
	if err != nil {
		return err
	}
	if len(objects) == 0 {
		return command.Usagef("name the objects to sign")
	}
	key, err := objsign.LoadPrivateKey(*keyFile)
	if err != nil {
		return command.Usagef("%w\n(create one with `bpflab keygen --signer NAME --out FILE` and add its .pub to internal/objsign/trusted/; see README, Signing)", err)
	}
	for _, p := range objects {
		if err := objsign.SignFile(p, key); err != nil {
			return fmt.Errorf("sign %s: %w", p, err)
		}
		fmt.Fprintf(stdout, "signed %s with key %s (%s)\n", p, key.Public().ID(), key.Signer)
	}
	return nil
}

func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := command.NewFlags("keygen", "bpflab keygen --signer NAME [--out FILE]", stdout)
	signer := fs.String("signer", "", "name of the key holder (required)")
	out := fs.String("out", defaultSigningKey(), "where to write the private key; the public key goes to OUT.pub")
	operands, err := fs.ParseArgs(args)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return command.Usagef("unexpected arguments %q", operands)
	}
	if *signer == "" {
		return command.Usagef("--signer is required, e.g. --signer 'bpflab release key 2026'")
	}
	if _, err := os.Stat(*out); err == nil {
		return command.Usagef("%s exists; refusing to overwrite a signing key", *out)
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
	fmt.Fprintf(stdout, "private key %s (keep it secret)\npublic key  %s.pub (key id %s)\n", *out, *out, k.Public().ID())
	return nil
}
