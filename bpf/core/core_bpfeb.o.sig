bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 7cc7b755ba8bfc5c81cbcc7c094b0d73c0cb29bf5dc68bcb859b2b41d168c7d9
signature: DW03a0hu3zi8sN7cYG1tlM3H3SR5yb1UB27+5/qbPYJmPD6smvCsp1wz+eGgNxMQfxmSY19p2JhFh3LBpQUyDQ==
