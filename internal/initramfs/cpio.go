package initramfs

import (
	"fmt"
	"io"
	"strings"
)

// cpio "newc" format: a 110-byte ASCII header of 13 8-digit hex fields, the
// NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes.
const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChar = 0o020000
	trailer  = "TRAILER!!!"
)

// cpioWriter writes a newc archive. Inode numbers are assigned in order
// so that no two entries look like hard links to each other.
type cpioWriter struct {
	w     io.Writer
	ino   uint32
	n     int64 // bytes written, for padding
	dirs  map[string]bool
	err   error
	mtime uint32 // 0: archives are reproducible
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, dirs: map[string]bool{"": true, ".": true}}
}

func (c *cpioWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

func (c *cpioWriter) header(name string, mode uint32, size int, rmajor, rminor uint32) {
	nlink := uint32(1)
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, c.mtime, size, 0, 0, rmajor, rminor, len(name)+1, 0)
	c.ino++
	c.write([]byte(hdr))
	c.write(append([]byte(name), 0))
	c.pad()
}

// mkdirAll adds every missing parent directory of name.
func (c *cpioWriter) mkdirAll(name string) {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		d := strings.Join(parts[:i], "/")
		if c.dirs[d] {
			continue
		}
		c.dirs[d] = true
		c.header(d, modeDir|0o755, 0, 0, 0)
	}
}

// Dir adds a directory (and its parents).
func (c *cpioWriter) Dir(name string) {
	name = clean(name)
	c.mkdirAll(name + "/x")
}

// File adds a regular file with the given permission bits.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	name = clean(name)
	c.mkdirAll(name)
	c.header(name, modeFile|perm&0o7777, len(data), 0, 0)
	c.write(data)
	c.pad()
}

// CharDev adds a character device node, e.g. /dev/console (5, 1), which the
// kernel opens as init's stdio before any devtmpfs is mounted.
func (c *cpioWriter) CharDev(name string, perm, major, minor uint32) {
	name = clean(name)
	c.mkdirAll(name)
	c.header(name, modeChar|perm&0o7777, 0, major, minor)
}

// Close writes the trailer; it does not close the underlying writer.
func (c *cpioWriter) Close() error {
	c.header(trailer, 0, 0, 0, 0)
	if c.err != nil {
		return fmt.Errorf("write cpio: %w", c.err)
	}
	return nil
}

func clean(name string) string {
	return strings.Trim(name, "/")
}
