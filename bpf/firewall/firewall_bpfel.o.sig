bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 5ad603b9e2f019d1154fbc7dbccabbac7acd8251b69b7a38bad589b3bd212271
signature: mu/BUZFtkrSwGSxI6bResdpd+495b5++CKScGrTjD9YJHrebefU9GbYLJ7nTSJS8ZQ+dx4u2ZGZwXUpFzhmkAA==
