bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 1b7cad53266f5fbd747433e504997c62c70d3a0f56db7de21ad1ca04ab0b74df
signature: iTso0P1RBwWLgPs2Njrnr+FFddRWdT2fjuoTMWJiR/l9cu4CT++xOquzBzv/9cveFfzBhNPkgC7zVQYxZpxJDA==
