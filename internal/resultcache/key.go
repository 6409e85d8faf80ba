package resultcache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// keyVersion changes whenever the meaning of a key or an entry changes, so
// old entries are never read with a new meaning.
const keyVersion = "bpflab-resultcache-2"

// Key is the hex sha256 naming one cached run.
type Key string

// Input is everything that decides the result of one test binary on one
// kernel. Hashes are hex sha256 of file contents (see Hasher).
type Input struct {
	Binary  string   // the test binary
	Kernel  string   // the kernel's identity (see KernelIdentity)
	Runner  string   // the guest runner ("" on the host)
	Backend string   // "host", "qemu", "vng"
	Args    []string // the binary's arguments that matter (not -test.timeout)
	Env     []string // extra environment for the binary
	Modules []string // loaded before the binary
	// Autoload are modules carried and loaded on demand.
	Autoload []string
	Tools    []string // hashes of the carried host tools, in order
	// Files are "guest path:sha256" of the files carried along (the
	// packages' testdata/), sorted by path.
	Files []string
}

// Key hashes the input canonically: fields by name, lists as given except
// Env, Modules and Autoload, whose order does not change a run.
func (in Input) Key() Key {
	c := in
	c.Args = dropTimeout(in.Args)
	c.Env = sorted(in.Env)
	c.Modules = sorted(in.Modules)
	c.Autoload = sorted(in.Autoload)
	data, err := json.Marshal(struct {
		V string
		Input
	}{keyVersion, c})
	if err != nil { // a struct of strings always marshals
		panic(fmt.Sprintf("resultcache: marshal key: %v", err))
	}
	sum := sha256.Sum256(data)
	return Key(hex.EncodeToString(sum[:]))
}

// dropTimeout removes -test.timeout: a deadline does not change a pass.
func dropTimeout(args []string) []string {
	var out []string
	for _, a := range args {
		if strings.HasPrefix(a, "-test.timeout=") {
			continue
		}
		out = append(out, a)
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// Hasher hashes files once per process: the matrix asks for the same
// binary on every kernel.
type Hasher struct {
	mu   sync.Mutex
	sums map[string]string
}

// File returns the hex sha256 of the file at path.
func (h *Hasher) File(path string) (string, error) {
	h.mu.Lock()
	if s, ok := h.sums[path]; ok {
		h.mu.Unlock()
		return s, nil
	}
	h.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	d := sha256.New()
	if _, err := io.Copy(d, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	s := hex.EncodeToString(d.Sum(nil))
	h.mu.Lock()
	if h.sums == nil {
		h.sums = map[string]string{}
	}
	h.sums[path] = s
	h.mu.Unlock()
	return s, nil
}
