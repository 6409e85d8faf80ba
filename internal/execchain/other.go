package execchain

import "encoding/binary"

// The arm64 and s390x chains do what machineCode does on x86-64, assembled
// from the listings in the comments (clang --target=aarch64-linux-gnu /
// s390x-linux-gnu, then llvm-objdump). At entry the stack pointer (sp,
// r15) points at argc, then argv[0..argc-1], NULL, envp, as on x86-64.

// arm64Code: execve is syscall 221, execveat 281, exit 93; number in x8,
// arguments in x0.., `svc #0`.
func arm64Code(mode Mode) []byte {
	var words []uint32
	if mode == Execveat {
		words = []uint32{
			0xf94003e9, // ldr  x9, [sp]            ; argc
			0xf100053f, // cmp  x9, #1
			0x54000169, // b.ls done (+0x2c)        ; last image: exit 0
			0x910043e2, // add  x2, sp, #16         ; argv+1
			0xf9400041, // ldr  x1, [x2]            ; path = argv[1]
			0x8b296fe3, // add  x3, sp, x9, lsl #3
			0x91004063, // add  x3, x3, #16         ; envp
			0x92800c60, // mov  x0, #-100           ; AT_FDCWD
			0xd2800004, // mov  x4, #0              ; flags
			0xd2802328, // mov  x8, #281            ; execveat
			0xd4000001, // svc  #0                  ; returns only on failure
			0xd2800060, // mov  x0, #ExitExecFailed
			0x14000002, // b    exit (+8)
			0xd2800000, // done: mov x0, #0
			0xd2800ba8, // exit: mov x8, #93
			0xd4000001, // svc  #0
		}
	} else {
		words = []uint32{
			0xf94003e9, // ldr  x9, [sp]            ; argc
			0xf100053f, // cmp  x9, #1
			0x54000129, // b.ls done (+0x24)        ; last image: exit 0
			0x910043e1, // add  x1, sp, #16         ; argv+1
			0xf9400020, // ldr  x0, [x1]            ; path = argv[1]
			0x8b296fe2, // add  x2, sp, x9, lsl #3
			0x91004042, // add  x2, x2, #16         ; envp
			0xd2801ba8, // mov  x8, #221            ; execve
			0xd4000001, // svc  #0                  ; returns only on failure
			0xd2800060, // mov  x0, #ExitExecFailed
			0x14000002, // b    exit (+8)
			0xd2800000, // done: mov x0, #0
			0xd2800ba8, // exit: mov x8, #93
			0xd4000001, // svc  #0
		}
	}
	code := make([]byte, 0, 4*len(words))
	for _, w := range words {
		code = binary.LittleEndian.AppendUint32(code, w)
	}
	return code
}

// s390xCode: execve is syscall 11, exit 1 (numbers below 256 go in the
// svc instruction); execveat is 354, passed in r1 with `svc 0`. Arguments
// in r2...
func s390xCode(mode Mode) []byte {
	if mode == Execveat {
		return []byte{
			0xe3, 0x10, 0xf0, 0x00, 0x00, 0x04, // lg   %r1,0(%r15)        ; argc
			0xa7, 0x1f, 0x00, 0x01, // cghi %r1,1
			0xa7, 0xc4, 0x00, 0x17, // jle  done                ; last image: exit 0
			0x41, 0x40, 0xf0, 0x10, // la   %r4,16(%r15)        ; argv+1
			0xe3, 0x30, 0x40, 0x00, 0x00, 0x04, // lg   %r3,0(%r4)         ; path = argv[1]
			0xeb, 0x51, 0x00, 0x03, 0x00, 0x0d, // sllg %r5,%r1,3
			0x41, 0x55, 0xf0, 0x10, // la   %r5,16(%r5,%r15)    ; envp
			0xa7, 0x29, 0xff, 0x9c, // lghi %r2,-100            ; AT_FDCWD
			0xa7, 0x69, 0x00, 0x00, // lghi %r6,0               ; flags
			0xa7, 0x19, 0x01, 0x62, // lghi %r1,354             ; execveat
			0x0a, 0x00, // svc  0                  ; returns only on failure
			0xa7, 0x29, 0x00, ExitExecFailed, // lghi %r2,ExitExecFailed
			0xa7, 0xf4, 0x00, 0x04, // j    exit
			0xa7, 0x29, 0x00, 0x00, // done: lghi %r2,0
			0x0a, 0x01, // exit: svc 1
		}
	}
	return []byte{
		0xe3, 0x10, 0xf0, 0x00, 0x00, 0x04, // lg   %r1,0(%r15)        ; argc
		0xa7, 0x1f, 0x00, 0x01, // cghi %r1,1
		0xa7, 0xc4, 0x00, 0x11, // jle  done                ; last image: exit 0
		0x41, 0x30, 0xf0, 0x10, // la   %r3,16(%r15)        ; argv+1
		0xe3, 0x20, 0x30, 0x00, 0x00, 0x04, // lg   %r2,0(%r3)         ; path = argv[1]
		0xeb, 0x41, 0x00, 0x03, 0x00, 0x0d, // sllg %r4,%r1,3
		0x41, 0x44, 0xf0, 0x10, // la   %r4,16(%r4,%r15)    ; envp
		0x0a, 0x0b, // svc  11                 ; execve; returns only on failure
		0xa7, 0x29, 0x00, ExitExecFailed, // lghi %r2,ExitExecFailed
		0xa7, 0xf4, 0x00, 0x04, // j    exit
		0xa7, 0x29, 0x00, 0x00, // done: lghi %r2,0
		0x0a, 0x01, // exit: svc 1
	}
}
