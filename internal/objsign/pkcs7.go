package objsign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// KernelSigner makes the signatures the kernel itself checks in
// BPF_PROG_LOAD (6.18+): PKCS#7 over the program's instructions, by a key
// whose X.509 certificate is in a keyring the loader names. It is separate
// from bpflab's ed25519 object signatures: the kernel signs what it is
// given, the final instruction stream, not an ELF object.
type KernelSigner struct {
	Cert *x509.Certificate
	key  *rsa.PrivateKey
}

// NewKernelSigner creates a throwaway RSA-2048 key and a self-signed
// certificate for it (RSA with SHA-256: what module signing uses too, so
// every kernel with signature support can check it).
func NewKernelSigner(name string) (*KernelSigner, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("kernel signer %s: generate key: %w", name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("kernel signer %s: serial: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            pkix.Name{CommonName: name},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(24 * time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("kernel signer %s: certificate: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("kernel signer %s: parse certificate: %w", name, err)
	}
	return &KernelSigner{Cert: cert, key: key}, nil
}

var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

type algorithmID struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    algorithmID
	SignatureAlgorithm algorithmID
	Signature          []byte
}

type encapContent struct {
	ContentType asn1.ObjectIdentifier
}

type signedData struct {
	Version          int
	DigestAlgorithms []algorithmID `asn1:"set"`
	Content          encapContent
	SignerInfos      []signerInfo `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     signedData `asn1:"explicit,tag:0"`
}

// SignPKCS7 signs data: a detached PKCS#7 SignedData with no certificates
// and no authenticated attributes (the shape of a kernel module signature),
// naming the signer by issuer and serial; the kernel finds the key in the
// keyring it is given.
func (s *KernelSigner) SignPKCS7(data []byte) ([]byte, error) {
	digest := sha256.Sum256(data)
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return nil, fmt.Errorf("pkcs7 sign: %w", err)
	}
	null := asn1.RawValue{Tag: asn1.TagNull}
	ci := contentInfo{
		ContentType: oidSignedData,
		Content: signedData{
			Version:          1,
			DigestAlgorithms: []algorithmID{{Algorithm: oidSHA256, Parameters: null}},
			Content:          encapContent{ContentType: oidData},
			SignerInfos: []signerInfo{{
				Version:            1,
				SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.Cert.RawIssuer}, Serial: s.Cert.SerialNumber},
				DigestAlgorithm:    algorithmID{Algorithm: oidSHA256, Parameters: null},
				SignatureAlgorithm: algorithmID{Algorithm: oidRSAEncryption, Parameters: null},
				Signature:          sig,
			}},
		},
	}
	out, err := asn1.Marshal(ci)
	if err != nil {
		return nil, fmt.Errorf("pkcs7 encode: %w", err)
	}
	return out, nil
}

// verifyPKCS7 checks what SignPKCS7 made against cert, the way the kernel
// does for this shape (for unit tests: no kernel needed).
func verifyPKCS7(cert *x509.Certificate, data, p7 []byte) error {
	var ci contentInfo
	rest, err := asn1.Unmarshal(p7, &ci)
	if err != nil {
		return fmt.Errorf("pkcs7 decode: %w", err)
	}
	if len(rest) != 0 || !ci.ContentType.Equal(oidSignedData) || len(ci.Content.SignerInfos) != 1 {
		return fmt.Errorf("pkcs7: not one signed-data signer")
	}
	si := ci.Content.SignerInfos[0]
	if si.SID.Serial.Cmp(cert.SerialNumber) != 0 || string(si.SID.Issuer.FullBytes) != string(cert.RawIssuer) {
		return fmt.Errorf("pkcs7: signer is not %s", cert.Subject)
	}
	digest := sha256.Sum256(data)
	return rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], si.Signature)
}
