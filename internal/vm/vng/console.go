package vng

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// console saves everything vng prints to a file and keeps the last bytes
// in memory for error messages.
type console struct {
	mu   sync.Mutex
	file io.Writer
	tail []byte
	max  int
}

func newConsole(file io.Writer, max int) *console { return &console{file: file, max: max} }

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tail = append(c.tail, p...)
	if len(c.tail) > 2*c.max {
		c.tail = append([]byte(nil), c.tail[len(c.tail)-c.max:]...)
	}
	if c.file != nil {
		_, _ = c.file.Write(p) // a full disk must not stop the guest
	}
	return len(p), nil
}

// Tail returns the last n lines written.
func (c *console) Tail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(c.tail, []byte("?"))), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Panicked reports whether the kernel said it panicked.
func (c *console) Panicked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Contains(c.tail, []byte("Kernel panic - not syncing"))
}
