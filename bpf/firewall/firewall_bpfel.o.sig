bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: d0b50029b925a2da1bda9fbf2743c0d4c9f703ff7169bcae62d078fb889ac7a4
signature: QwGazshEInoqklg4vJg/wTztzGr6Ctyr7yM3VDufhuqTTzL+4AABqebHxlCap0/EnF9NZ3MgN+j8/qcjSHk/Cg==
