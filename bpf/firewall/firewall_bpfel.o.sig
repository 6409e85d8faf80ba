bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: 5ff082d1fd40e41055b3576e6d296472f96614f96f29e1f3330d80dae2224aae
signature: /ifaGX+ycmOJPg6i2vEwFqRC1tgxcnxb/mEg3rGy+S8xjP8mFP6oE0SXV7RGR+OGUDSbKkz8jYpW46ww18uuAQ==
