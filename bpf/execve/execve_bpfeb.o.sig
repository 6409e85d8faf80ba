bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 78838dc9886d7edc4f99c310eadba30b5108bee4a3f8d91761fa292c5c7f7277
signature: Uow61tRIW9nq3mPGnO03hG+MpMK8zkoR6GfAuvaFzo139DemAPFW/mHTh0LB6wy6Z80Ra/is3vpNmQI6qGgZDA==
