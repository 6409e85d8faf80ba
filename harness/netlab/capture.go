package netlab

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/bpflab/bpflab/harness/packet"
	"golang.org/x/sys/unix"
)

// Arrival is one marked frame the capture saw on dut0.
type Arrival struct {
	Frame   []byte    // bytes as the tap saw them (an 802.1Q tag may be stripped)
	PktType uint8     // unix.PACKET_HOST, PACKET_BROADCAST, PACKET_OTHERHOST, ...
	VLAN    uint16    // tag control info the kernel stripped, if VLANValid
	VLANOK  bool      // the kernel reported a stripped 802.1Q tag
	At      time.Time // when the reader got it
}

// Capture records the frames that arrive on dut0 after XDP. Frames carrying
// a packet.Marker are indexed by it; anything else (frames the kernel sends
// by itself) is only counted as foreign.
type Capture struct {
	f    *os.File
	rc   syscall.RawConn
	done chan struct{}

	mu      sync.Mutex
	seen    map[packet.Marker][]Arrival
	foreign int
	samples []Arrival // the first maxSamples foreign frames, for diagnosis
	drops   uint64
	changed chan struct{} // closed and replaced on every arrival
	err     error         // why the reader stopped, if not Close
}

// Capture starts recording dut0. Start it before injecting; Close it when
// done (Topology.Close does not).
func (t *Topology) Capture() (*Capture, error) {
	f, err := openPacketSocket(t.DUT, t.DUTIndex, unix.ETH_P_ALL)
	if err != nil {
		return nil, fmt.Errorf("open capture socket on %s: %w", DUTLink, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("capture on %s: %w", DUTLink, err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		// Report stripped VLAN tags, and make the buffer big enough that
		// the capture itself never drops a burst (checked by Drops).
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); serr != nil {
			serr = fmt.Errorf("enable PACKET_AUXDATA: %w", serr)
			return
		}
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20); serr != nil {
			serr = fmt.Errorf("set SO_RCVBUFFORCE: %w", serr)
		}
	})
	if err = errors.Join(err, serr); err != nil {
		f.Close()
		return nil, fmt.Errorf("capture on %s: %w", DUTLink, err)
	}
	c := &Capture{f: f, rc: rc, done: make(chan struct{}),
		seen: map[packet.Marker][]Arrival{}, changed: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *Capture) read() {
	defer close(c.done)
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
			return rerr != unix.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			c.mu.Lock()
			if !errors.Is(err, os.ErrClosed) {
				c.err = fmt.Errorf("capture on %s stopped: %w", DUTLink, err)
			}
			c.mu.Unlock()
			return
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok || ll.Pkttype == unix.PACKET_OUTGOING {
			continue // our own transmissions on dut0 are not arrivals
		}
		a := Arrival{Frame: slices.Clone(buf[:n]), PktType: ll.Pkttype, At: time.Now()}
		a.VLAN, a.VLANOK = vlanFromAux(oob[:oobn])
		c.record(a)
	}
}

func vlanFromAux(oob []byte) (uint16, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_PACKET || m.Header.Type != unix.PACKET_AUXDATA ||
			len(m.Data) < int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
			continue
		}
		aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
		if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
			return aux.Vlan_tci, true
		}
	}
	return 0, false
}

func (c *Capture) record(a Arrival) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := packet.MarkerOf(a.Frame); ok {
		c.seen[m] = append(c.seen[m], a)
	} else {
		c.foreign++
		if len(c.samples) < maxSamples {
			c.samples = append(c.samples, a)
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// Seen reports whether a frame with marker m arrived.
func (c *Capture) Seen(m packet.Marker) bool { return c.Count(m) > 0 }

// Count is how many frames with marker m arrived.
func (c *Capture) Count(m packet.Marker) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen[m])
}

// Arrivals returns the arrivals of marker m, oldest first.
func (c *Capture) Arrivals(m packet.Marker) []Arrival {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen[m])
}

// Foreign is the number of unmarked frames seen (sent by a kernel, not by
// a test).
func (c *Capture) Foreign() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.foreign
}

const maxSamples = 64

// ForeignFrames returns the first unmarked frames seen (at most 64).
func (c *Capture) ForeignFrames() []Arrival {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.samples)
}

// WaitFor waits until every marker has arrived, at most timeout. The error
// names the missing markers.
func (c *Capture) WaitFor(timeout time.Duration, markers ...packet.Marker) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		var missing []string
		for _, m := range markers {
			if len(c.seen[m]) == 0 {
				missing = append(missing, m.String())
			}
		}
		changed, rerr := c.changed, c.err
		c.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("wait for %d frames on %s: %w", len(markers), DUTLink, rerr)
		}
		select {
		case <-changed:
		case <-c.done:
			return fmt.Errorf("wait for %d frames on %s: capture closed; missing %s", len(markers), DUTLink, strings.Join(missing, ", "))
		case <-timer.C:
			return fmt.Errorf("waited %v for %d frames on %s: %d missing (%s)", timeout, len(markers), DUTLink, len(missing), strings.Join(missing, ", "))
		}
	}
}

// Drops is the number of frames the capture socket itself dropped (buffer
// full) since it started. Non-zero means "not seen" cannot be trusted.
func (c *Capture) Drops() (uint64, error) {
	var st *unix.TpacketStats
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		st, serr = unix.GetsockoptTpacketStats(int(fd), unix.SOL_PACKET, unix.PACKET_STATISTICS)
	})
	if err = errors.Join(err, serr); err != nil {
		return 0, fmt.Errorf("read capture statistics on %s: %w", DUTLink, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops += uint64(st.Drops) // the kernel resets the counters on read
	return c.drops, nil
}

// Close stops the capture and waits for its reader.
func (c *Capture) Close() error {
	err := c.f.Close()
	<-c.done
	if err != nil {
		return fmt.Errorf("close capture on %s: %w", DUTLink, err)
	}
	return nil
}
