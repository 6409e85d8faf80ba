bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: cf0305c0a4d2bd49afe94a78903decaa96cd4921702274ce4d2d1bbf67caa167
signature: zZcBb9MkDNWEBX4Tzl53eLNO/MeB5+BhYaZeaxs/yfbsM8fJmOFJu9ainuGWRPvF8BLJr26wVeXziIAtlnSBAw==
