// Package kmsg reads the kernel log from /dev/kmsg as dmesg-like text, so
// the matrix can look for kernel splats (WARN, BUG, lockups, ...) a run
// caused: the whole log in a guest, only the new records on the host.
package kmsg

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Path is the kernel log device.
const Path = "/dev/kmsg"

// MaxBytes bounds the text one Reader returns (the newest is kept).
const MaxBytes = 1 << 20

// Reader reads /dev/kmsg records without blocking. It uses the raw fd:
// an os.File would park a non-blocking read in the runtime poller instead
// of returning EAGAIN at the end of the log.
type Reader struct{ fd int }

// Open opens /dev/kmsg; fromEnd skips the records already logged, so
// ReadNew returns only what happens from now on (the host kernel's old
// messages are not this run's).
func Open(fromEnd bool) (*Reader, error) {
	fd, err := unix.Open(Path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open kernel log %s: %w", Path, err)
	}
	if fromEnd {
		if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil { // the next record logged
			unix.Close(fd)
			return nil, fmt.Errorf("seek kernel log: %w", err)
		}
	}
	return &Reader{fd: fd}, nil
}

// ReadNew returns the records logged since Open (or the last ReadNew) as
// "[seconds] message" lines.
func (r *Reader) ReadNew() (string, error) {
	var b strings.Builder
	buf := make([]byte, 8192) // a record is at most ~1 KiB plus its dictionary
	for {
		n, err := unix.Read(r.fd, buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return keepTail(b.String()), nil
		case errors.Is(err, unix.EPIPE):
			// Records were overwritten before we read them: go on with
			// the next one, saying so.
			b.WriteString("[kmsg: records lost (ring buffer overwritten)]\n")
			continue
		case err != nil:
			return keepTail(b.String()), fmt.Errorf("read kernel log: %w", err)
		}
		if n <= 0 {
			return keepTail(b.String()), nil
		}
		b.WriteString(Format(buf[:n]))
	}
}

// Close closes the device.
func (r *Reader) Close() error { return unix.Close(r.fd) }

// ReadAll returns the whole kernel log (a guest's, from boot).
func ReadAll() (string, error) {
	r, err := Open(false)
	if err != nil {
		return "", err
	}
	defer r.Close()
	return r.ReadNew()
}

// Format turns one /dev/kmsg record ("prio,seq,usec,flags;text\n" plus
// " KEY=value" dictionary lines) into "[   12.345678] text\n".
func Format(rec []byte) string {
	head, rest, ok := strings.Cut(string(rec), ";")
	if !ok {
		return string(rec)
	}
	text, _, _ := strings.Cut(rest, "\n ") // drop the dictionary
	text = strings.TrimSuffix(text, "\n")
	f := strings.Split(head, ",")
	ts := ""
	if len(f) >= 3 {
		if us, err := strconv.ParseUint(f[2], 10, 64); err == nil {
			ts = fmt.Sprintf("[%5d.%06d] ", us/1e6, us%1e6)
		}
	}
	// Escaped newlines (\x0a) inside one record are real line breaks.
	return ts + strings.ReplaceAll(text, `\x0a`, "\n"+ts) + "\n"
}

func keepTail(s string) string {
	if len(s) <= MaxBytes {
		return s
	}
	s = s[len(s)-MaxBytes:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "[kmsg: older records dropped]\n" + s
}
