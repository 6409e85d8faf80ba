package guard

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	bpfguard "github.com/bpflab/bpflab/bpf/guard"
)

// Denial is one refused call, decoded from the guard's ring buffer.
type Denial struct {
	PID, TGID, UID uint32
	Comm           string
	CgroupID       uint64
	ExeIno         uint64
	ExeDev         uint32
	Cmd            uint32 // bpf command, or a bpfguard.Op* for pin operations
	Hook           bpfguard.Hook
	Reason         bpfguard.Reason
	Detail         uint32
}

func (d Denial) String() string {
	return fmt.Sprintf("denied %s (hook %s): pid %d tgid %d uid %d comm %q exe ino %d dev %d:%d cgroup %d: %s",
		CmdName(d.Cmd), d.Hook, d.PID, d.TGID, d.UID, d.Comm, d.ExeIno, d.ExeDev>>20, d.ExeDev&0xfffff, d.CgroupID, d.Reason)
}

var cmdNames = map[uint32]string{
	0: "BPF_MAP_CREATE", 5: "BPF_PROG_LOAD", 6: "BPF_OBJ_PIN", 7: "BPF_OBJ_GET", 8: "BPF_PROG_ATTACH",
	9: "BPF_PROG_DETACH", 13: "BPF_PROG_GET_FD_BY_ID", 14: "BPF_MAP_GET_FD_BY_ID", 17: "BPF_RAW_TRACEPOINT_OPEN",
	28: "BPF_LINK_CREATE", 29: "BPF_LINK_UPDATE", 30: "BPF_LINK_GET_FD_BY_ID", 34: "BPF_LINK_DETACH", 36: "BPF_TOKEN_CREATE",
	bpfguard.OpUnlink: "unlink(pin)", bpfguard.OpRename: "rename(pin)", bpfguard.OpUmount: "umount(bpffs)",
}

// CmdName names a bpf command or pin operation.
func CmdName(cmd uint32) string {
	if n, ok := cmdNames[cmd]; ok {
		return n
	}
	return fmt.Sprintf("bpf cmd %d", cmd)
}

func decode(raw []byte) (Denial, error) {
	var e bpfguard.Event
	if err := binary.Read(bytes.NewReader(raw), binary.NativeEndian, &e); err != nil {
		return Denial{}, fmt.Errorf("decode guard event (%d bytes): %w", len(raw), err)
	}
	comm := make([]byte, 0, len(e.Comm))
	for _, c := range e.Comm {
		if c == 0 {
			break
		}
		comm = append(comm, byte(c))
	}
	return Denial{PID: e.Pid, TGID: e.Tgid, UID: e.Uid, Comm: string(comm), CgroupID: e.CgroupId,
		ExeIno: e.ExeIno, ExeDev: e.ExeDev, Cmd: e.Cmd, Hook: bpfguard.Hook(e.Hook), Reason: bpfguard.Reason(e.Reason), Detail: e.Detail}, nil
}

// Log streams denials from the guard pinned in dir to fn until ctx ends or
// fn returns false. Denials made before Log opened the ring buffer and not
// yet read by anyone are delivered too.
func Log(ctx context.Context, dir string, fn func(Denial) bool) error {
	if dir == "" {
		dir = DefaultPinDir
	}
	if !Enabled(dir) {
		return fmt.Errorf("no guard is enabled at %s (%w)", dir, ErrBadInput)
	}
	m, err := ebpf.LoadPinnedMap(filepath.Join(dir, bpfguard.MapEvents), nil)
	if err != nil {
		return fmt.Errorf("guard log: open events: %w", err)
	}
	defer m.Close()
	rd, err := ringbuf.NewReader(m)
	if err != nil {
		return fmt.Errorf("guard log: %w", err)
	}
	defer rd.Close()
	stop := context.AfterFunc(ctx, func() { rd.Close() })
	defer stop()
	for {
		rec, err := rd.Read()
		if errors.Is(err, os.ErrClosed) || ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("guard log: read: %w", err)
		}
		d, err := decode(rec.RawSample)
		if err != nil {
			return err
		}
		if !fn(d) {
			return nil
		}
	}
}
