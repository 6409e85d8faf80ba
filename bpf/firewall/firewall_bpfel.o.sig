bpflab-signature v1
signer: bpflab release key 2026-11
key-id: 4718927e9e5d50f3
object-sha256: d0b50029b925a2da1bda9fbf2743c0d4c9f703ff7169bcae62d078fb889ac7a4
signature: jzkqQ+5mE+BApdD6iw0NGd2aYnGtFZPTs6xTSwwqqoAIG41aoUhiystlx1Gm/pu/A+Db4PD8L+Y3xABIBBabBQ==
