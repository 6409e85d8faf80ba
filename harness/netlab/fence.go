package netlab

import (
	"fmt"
	"time"

	"github.com/bpflab/bpflab/harness/packet"
)

// Settle injects fence, a frame the caller knows must be delivered, and
// waits for it on c. Frames cross peer0 -> dut0 in order (one pinned sender
// CPU, one queue), so when Settle returns nil every frame injected before it
// has been handled: a marker not Seen by then was not delivered. It also
// fails if the capture dropped frames, which would make "not seen"
// meaningless.
func (t *Topology) Settle(c *Capture, fence packet.Frame, timeout time.Duration) error {
	if err := t.Inject(fence.Bytes); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	if err := c.WaitFor(timeout, fence.Marker); err != nil {
		return fmt.Errorf("settle: fence %s never arrived (is it allowed by the program under test?): %w", fence, err)
	}
	drops, err := c.Drops()
	if err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	if drops > 0 {
		return fmt.Errorf("settle: the capture socket on %s dropped %d frames; absence of a frame proves nothing", DUTLink, drops)
	}
	return nil
}
