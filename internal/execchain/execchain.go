// Package execchain writes a minimal static ELF program (x86-64, arm64 or
// s390x) that makes an exact number of exec calls in one process, for
// execve scenarios.
//
// The program counts with argc: started with argv = [p, p, ..., p] (n
// copies of its own path p) it execs argv[1] with argv[1:] and the same
// environment, so every exec drops one argument, and it exits 0 when argc
// is 1. One process (one TGID) thus makes n exec calls in total, the
// first being the start itself. There is no libc and no runtime: under
// TCG an exec of a Go test binary costs ~0.2 s of runtime start-up, this
// one costs the kernel's exec path alone, so scenarios can run many more
// execs per second of guest time.
package execchain

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Mode is the system call the chain makes after its start.
type Mode int

const (
	Execve   Mode = iota // execve(argv[1], argv+1, envp)
	Execveat             // execveat(AT_FDCWD, argv[1], argv+1, envp, 0)
)

func (m Mode) String() string {
	if m == Execveat {
		return "execveat"
	}
	return "execve"
}

// ExitExecFailed is the chain's exit status when an exec call fails.
const ExitExecFailed = 3

// Supported says why the chain cannot run here, or nil: it exists as
// machine code for amd64, arm64 and s390x only.
func Supported() error {
	if _, ok := arches[runtime.GOARCH]; !ok {
		return fmt.Errorf("execchain: the chain program exists for amd64, arm64 and s390x, and this is %s", runtime.GOARCH)
	}
	return nil
}

// Write writes the chain program for mode into dir (as execve-chain or
// execveat-chain, mode 0755) and returns its path.
func Write(dir string, mode Mode) (string, error) {
	if err := Supported(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, mode.String()+"-chain")
	if err := os.WriteFile(path, Program(mode), 0o755); err != nil {
		return "", fmt.Errorf("write exec chain program: %w", err)
	}
	return path, nil
}

// Command returns a command that makes n >= 1 exec calls in one process:
// the start and n-1 calls of mode, every one of them on path.
func Command(ctx context.Context, path string, n int) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = make([]string, max(n, 1))
	for i := range cmd.Args {
		cmd.Args[i] = path
	}
	return cmd
}

// Load address of the single segment; the code follows the two headers.
const (
	base      = 0x400000
	headerLen = 64 + 56 // Elf64_Ehdr + one Elf64_Phdr
)

// arch is how one architecture's chain is made.
type arch struct {
	machine elf.Machine
	order   binary.ByteOrder
	code    func(Mode) []byte
}

var arches = map[string]arch{
	"amd64": {elf.EM_X86_64, binary.LittleEndian, machineCode},
	"arm64": {elf.EM_AARCH64, binary.LittleEndian, arm64Code},
	"s390x": {elf.EM_S390, binary.BigEndian, s390xCode},
}

// Program returns the whole ELF file for mode, for this architecture
// (x86-64 where the chain does not exist: see Supported).
func Program(mode Mode) []byte {
	p, err := ProgramFor(runtime.GOARCH, mode)
	if err != nil {
		p, _ = ProgramFor("amd64", mode)
	}
	return p
}

// ProgramFor returns the whole ELF file for mode on goarch.
func ProgramFor(goarch string, mode Mode) ([]byte, error) {
	a, ok := arches[goarch]
	if !ok {
		return nil, fmt.Errorf("execchain: no chain program for %s", goarch)
	}
	code := a.code(mode)
	var buf bytes.Buffer
	data := elf.ELFDATA2LSB
	if a.order == binary.BigEndian {
		data = elf.ELFDATA2MSB
	}
	hdr := elf.Header64{
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(a.machine),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     base + headerLen,
		Phoff:     64,
		Ehsize:    64,
		Phentsize: 56,
		Phnum:     1,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(data)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	size := uint64(headerLen + len(code))
	prog := elf.Prog64{
		Type:   uint32(elf.PT_LOAD),
		Flags:  uint32(elf.PF_R | elf.PF_X),
		Vaddr:  base,
		Paddr:  base,
		Filesz: size,
		Memsz:  size,
		Align:  0x1000,
	}
	// Writes to a bytes.Buffer cannot fail.
	_ = binary.Write(&buf, a.order, hdr)
	_ = binary.Write(&buf, a.order, prog)
	buf.Write(code)
	return buf.Bytes(), nil
}

// machineCode assembles the chain. At entry rsp points at argc, then
// argv[0..argc-1], NULL, envp.
func machineCode(mode Mode) []byte {
	var a asm
	a.emit(0x48, 0x8b, 0x04, 0x24) // mov rax, [rsp]            ; argc
	a.emit(0x48, 0x83, 0xf8, 0x01) // cmp rax, 1
	a.jump(0x76, "done")           // jbe done                  ; last image: exit 0
	if mode == Execveat {
		a.emit(0x48, 0x8d, 0x54, 0x24, 0x10)             // lea rdx, [rsp+16]          ; argv+1
		a.emit(0x48, 0x8b, 0x32)                         // mov rsi, [rdx]             ; path = argv[1]
		a.emit(0x4c, 0x8d, 0x54, 0xc4, 0x10)             // lea r10, [rsp+rax*8+16]    ; envp
		a.emit(0x48, 0xc7, 0xc7, 0x9c, 0xff, 0xff, 0xff) // mov rdi, -100 ; AT_FDCWD
		a.emit(0x45, 0x31, 0xc0)                         // xor r8d, r8d               ; flags
		a.emit(0xb8, 0x42, 0x01, 0x00, 0x00)             // mov eax, 322               ; SYS_execveat
	} else {
		a.emit(0x48, 0x8d, 0x74, 0x24, 0x10) // lea rsi, [rsp+16]       ; argv+1
		a.emit(0x48, 0x8b, 0x3e)             // mov rdi, [rsi]          ; path = argv[1]
		a.emit(0x48, 0x8d, 0x54, 0xc4, 0x10) // lea rdx, [rsp+rax*8+16] ; envp
		a.emit(0xb8, 0x3b, 0x00, 0x00, 0x00) // mov eax, 59             ; SYS_execve
	}
	a.emit(0x0f, 0x05)                             // syscall               ; returns only on failure
	a.emit(0xbf, ExitExecFailed, 0x00, 0x00, 0x00) // mov edi, ExitExecFailed
	a.jump(0xeb, "exit")                           // jmp exit
	a.label("done")
	a.emit(0x31, 0xff) // xor edi, edi
	a.label("exit")
	a.emit(0xb8, 0x3c, 0x00, 0x00, 0x00) // mov eax, 60 ; SYS_exit
	a.emit(0x0f, 0x05)                   // syscall
	return a.link()
}

// asm is just enough of an assembler for forward rel8 jumps.
type asm struct {
	code   []byte
	labels map[string]int
	fixups map[int]string // offset of a rel8 byte -> label
}

func (a *asm) emit(b ...byte) { a.code = append(a.code, b...) }

func (a *asm) jump(op byte, label string) {
	if a.fixups == nil {
		a.fixups = map[int]string{}
	}
	a.emit(op, 0)
	a.fixups[len(a.code)-1] = label
}

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.code)
}

func (a *asm) link() []byte {
	for at, name := range a.fixups {
		target, ok := a.labels[name]
		rel := target - (at + 1)
		if !ok || rel < -128 || rel > 127 {
			panic(fmt.Sprintf("execchain: bad jump to %q", name)) // a bug in machineCode, not input
		}
		a.code[at] = byte(int8(rel))
	}
	return a.code
}
