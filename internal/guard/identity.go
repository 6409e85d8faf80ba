package guard

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
)

// KernelDev converts a stat(2) st_dev to the kernel's internal dev_t
// (major << 20 | minor), which is what the BPF side reads from
// inode->i_sb->s_dev.
func KernelDev(statDev uint64) uint32 {
	return uint32(unix.Major(statDev))<<20 | uint32(unix.Minor(statDev))
}

// Exe is a trusted executable: its path, its kernel identity and the sha256
// of its content when it was trusted.
type Exe struct {
	Path   string
	Key    bpfguard.ExeKey
	SHA256 [32]byte
}

// ErrBadInput marks errors caused by what the user passed (exit 2 in the
// CLI is for usage; these are still failures, but nothing was changed).
var ErrBadInput = errors.New("bad input")

// Identify stats and hashes path. The file must be a regular, executable
// file; the key is what the kernel sees for a process running it.
func Identify(path string) (Exe, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Exe{}, fmt.Errorf("trust %s: %w", path, err)
	}
	// The kernel judges the file a process runs, not a symlink to it.
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return Exe{}, fmt.Errorf("trust %s: %w (%w: pass the path of an existing loader binary)", path, err, ErrBadInput)
	}
	if len(real) >= bpfguard.PathLen {
		return Exe{}, fmt.Errorf("trust %s: path longer than %d bytes (%w)", real, bpfguard.PathLen-1, ErrBadInput)
	}
	f, err := os.Open(real)
	if err != nil {
		return Exe{}, fmt.Errorf("trust %s: %w", real, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Exe{}, fmt.Errorf("trust %s: stat: %w", real, err)
	}
	mode := fs.FileMode(st.Mode & 0o777)
	if st.Mode&unix.S_IFMT != unix.S_IFREG || mode&0o111 == 0 {
		return Exe{}, fmt.Errorf("trust %s: not an executable regular file (%w: pass the loader binary itself)", real, ErrBadInput)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Exe{}, fmt.Errorf("trust %s: hash: %w", real, err)
	}
	// Stat again after hashing: a write during the hash moves the ctime,
	// and the identity recorded must be the one the hash belongs to.
	var after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &after); err != nil {
		return Exe{}, fmt.Errorf("trust %s: stat: %w", real, err)
	}
	if after.Ctim != st.Ctim {
		return Exe{}, fmt.Errorf("trust %s: the file changed while it was hashed; retry when it is stable", real)
	}
	e := Exe{Path: real, Key: bpfguard.ExeKey{
		Ino:       st.Ino,
		Dev:       KernelDev(st.Dev),
		CtimeSec:  st.Ctim.Sec,
		CtimeNsec: uint32(st.Ctim.Nsec),
	}}
	copy(e.SHA256[:], h.Sum(nil))
	return e, nil
}

// Value is the allowlist entry for e.
func (e Exe) Value() bpfguard.ExeVal {
	var v bpfguard.ExeVal
	v.Sha256 = e.SHA256
	for i := 0; i < len(e.Path) && i < len(v.Path)-1; i++ {
		v.Path[i] = int8(e.Path[i])
	}
	return v
}

// exeFromMap rebuilds an Exe from an allowlist entry.
func exeFromMap(k bpfguard.ExeKey, v bpfguard.ExeVal) Exe {
	b := make([]byte, 0, len(v.Path))
	for _, c := range v.Path {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return Exe{Path: string(b), Key: k, SHA256: v.Sha256}
}

// Check compares the file at e.Path now with what was trusted: "ok", or
// what changed (the kernel no longer trusts a changed file either).
func (e Exe) Check() string {
	now, err := Identify(e.Path)
	switch {
	case err != nil:
		return fmt.Sprintf("unavailable: %v", err)
	case now.Key.Ino != e.Key.Ino || now.Key.Dev != e.Key.Dev:
		return "replaced (another inode now at this path: processes running it are not trusted)"
	case now.SHA256 != e.SHA256:
		return "modified (content hash differs: not trusted)"
	case now.Key != e.Key:
		return "inode changed (ctime moved, e.g. chmod or link: not trusted until enabled again)"
	}
	return "ok"
}
