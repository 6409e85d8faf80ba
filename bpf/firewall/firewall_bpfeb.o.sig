bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 6236b5a0b03fdd7b25fc114efbf2e09f5371b635ae2f320fd84991db3f260fc5
signature: yi6IjynveDrRb8tNXf+c2ttzfoqWm57HeXyGSVR8oZQIc+iA/KP6qonIaiHH0Jk1dBQC/Mra7DsG2M0zfhOCDQ==
