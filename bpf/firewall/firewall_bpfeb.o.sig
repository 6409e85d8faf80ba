bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 2fb8c4e430d21bb6dd75c586409f219cb2c4be4df8a52aab763699a4d4e4ea75
signature: MIiMb0AsuRuWK+j8l6UMYu7qORRRsCtnxVrXtooDC9q6R+qNTNW2HRxIbwkdNWTzGrulScLWhfIN/zuHlRmDCA==
