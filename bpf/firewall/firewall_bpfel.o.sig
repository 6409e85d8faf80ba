bpflab-signature v1
signer: bpflab release key 2026-11
key-id: 4718927e9e5d50f3
object-sha256: 8a57d6df3ee094dc6fd161ca2a3423d110902f27cf51997f28697595d01a3a88
signature: 81dmR/snbKaopLWS7kaF8oMsS/w5BxBtWfRDJkEni8P8LNfC0nczLf2W4dXz7G9Pb2/oAFj/ULwa1tPc4OxXDQ==
