bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 98028dc4904917ae25f46f58af2e28486298d1589de62846598bbf7c4adaa663
signature: XZVfnn+p3bOvl3UZAjqFcqgMb0Zm/vqmNvvj+SDnnfmhzgSwOUr9uk3vDDXTL4+BF6hhO0WnpzcSpHWCDE0QAw==
