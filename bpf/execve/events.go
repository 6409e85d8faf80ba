package execve

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf/perf"
	"github.com/cilium/ebpf/ringbuf"
)

// Event is one execve or execveat call.
type Event struct {
	PID, TGID, PPID, UID uint32
	Comm                 string // command name of the caller (before the exec)
	Filename             string // path passed to the call; "" if unreadable
	FilenameFault        bool   // the filename could not be read
	Execveat             bool   // came from execveat(2)
}

// Layout of struct exec_event in bpf/include/execve.h.
const (
	commOff     = 20
	filenameOff = commOff + 16
	eventSize   = filenameOff + 256
)

// pollInterval bounds how long one read blocks, so cancellation of a
// context without a deadline is noticed.
const pollInterval = 100 * time.Millisecond

type eventReader interface {
	SetDeadline(time.Time)
	// read returns one raw sample, or nil and the number of lost samples.
	read() ([]byte, uint64, error)
	Close() error
}

type ringbufReader struct{ *ringbuf.Reader }

func (r ringbufReader) read() ([]byte, uint64, error) {
	rec, err := r.Read()
	return rec.RawSample, 0, err
}

type perfReader struct{ *perf.Reader }

func (r perfReader) read() ([]byte, uint64, error) {
	rec, err := r.Read()
	if err != nil || rec.LostSamples > 0 {
		return nil, rec.LostSamples, err
	}
	return rec.RawSample, 0, nil
}

func (t *Tracker) openReader() (eventReader, error) {
	if t.transport == TransportRingbuf {
		rd, err := ringbuf.NewReader(t.objs.EventsRb)
		if err != nil {
			return nil, fmt.Errorf("open ring buffer reader: %w", err)
		}
		return ringbufReader{rd}, nil
	}
	pages := t.opts.PerfBufferPages
	if pages <= 0 {
		pages = 64
	}
	rd, err := perf.NewReader(t.objs.EventsPerf, pages*os.Getpagesize())
	if err != nil {
		return nil, fmt.Errorf("open perf reader (%d pages per CPU): %w", pages, err)
	}
	return perfReader{rd}, nil
}

// ReadEvent waits for the next event until ctx is done. Events the kernel
// could not deliver (buffer full) are counted in Lost and Diag. ReadEvent
// must not be called from several goroutines at once; Close may be, and
// makes a waiting ReadEvent return an error wrapping os.ErrClosed.
func (t *Tracker) ReadEvent(ctx context.Context) (Event, error) {
	events := t.reader()
	if events == nil {
		return Event{}, fmt.Errorf("read exec event: %w", ErrNotAttached)
	}
	for {
		if err := ctx.Err(); err != nil {
			return Event{}, fmt.Errorf("read exec event (%s): %w", t.transport, err)
		}
		deadline := time.Now().Add(pollInterval)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		events.SetDeadline(deadline)
		raw, lost, err := events.read()
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case err != nil:
			return Event{}, fmt.Errorf("read exec event (%s): %w", t.transport, err)
		case raw == nil:
			t.lost += lost
			continue
		}
		return decodeEvent(raw)
	}
}

// Lost is the number of events the perf buffer reported as lost.
func (t *Tracker) Lost() uint64 { return t.lost }

func decodeEvent(raw []byte) (Event, error) {
	if len(raw) < eventSize {
		return Event{}, fmt.Errorf("decode exec event: %d bytes, want %d", len(raw), eventSize)
	}
	// The BPF program writes the struct in the kernel's (the CPU's) byte
	// order: big-endian on s390x. A fixed little-endian decode reads
	// PID 0x3039 as 0x39300000 there.
	ne := binary.NativeEndian
	flags := execveExecFlag(ne.Uint32(raw[16:]))
	return Event{
		PID:           ne.Uint32(raw[0:]),
		TGID:          ne.Uint32(raw[4:]),
		PPID:          ne.Uint32(raw[8:]),
		UID:           ne.Uint32(raw[12:]),
		Comm:          cString(raw[commOff:filenameOff]),
		Filename:      cString(raw[filenameOff:eventSize]),
		FilenameFault: flags&execveExecFlagEXEC_F_FILENAME_FAULT != 0,
		Execveat:      flags&execveExecFlagEXEC_F_EXECVEAT != 0,
	}, nil
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
