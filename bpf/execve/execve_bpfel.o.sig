bpflab-signature v1
signer: bpflab release key 2026-11-25
key-id: 117dab19fbb94263
object-sha256: f6971fbb887adda6ac1da95ed74ccf069f6bf53549003279a7d320e8270ffa08
signature: 7181AFZT/ig0IQx0mrU+mjqb7wbU5E8jekdMsezj+1xo37F3Xc4hJG5MH86rz/ChFf83DeFH59XfMq79a3J5DQ==
