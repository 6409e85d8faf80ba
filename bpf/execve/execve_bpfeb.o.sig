bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 51e941c39bee5ff17456355f91f5fa97e82bec811ad1b6753b688e7e01db6af5
signature: pBa8rvndl1x0RMETCpii/0z73cm74fRpz6xJaCZkL+3Wr/13EsjaBwtYCKnqbJy9eL5GR9Jk8POdhunM0TeTCg==
