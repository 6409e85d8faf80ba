// Package objsign signs and verifies BPF object files with detached ed25519
// signatures, so bpflab refuses to load a tampered, unsigned or wrongly
// signed object before a single byte reaches the kernel.
//
// The signed message is a domain-separated SHA-256 of the object, so a
// signature cannot be replayed as a signature over anything else. Keys are
// small text files:
//
//	bpflab-ed25519-public  <base64 key> <signer name...>
//	bpflab-ed25519-private <base64 seed> <signer name...>   (mode 0600)
//
// A signature file (OBJECT.sig) records the signer, the key id, the object's
// SHA-256 and the signature, so `bpflab verify` can say who signed what.
package objsign
