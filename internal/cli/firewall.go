package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
	"github.com/vishvananda/netlink"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/privilege"
	"github.com/bpflab/bpflab/internal/pseudofs"
)

const firewallUsage = `usage: bpflab firewall attach|detach|status --iface IF [flags]

  attach  load the firewall, attach it to IF (--mode auto|native|generic) and pin it
  detach  detach the firewall from IF and remove its pins
  status  program, mode, entries and counters of the firewall on IF
`

func runFirewall(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := newEnv(stdout, stderr)
	sub, rest, err := command.Subcommand(args, "firewall", firewallUsage, stdout, "attach", "detach", "status")
	if err != nil {
		return err
	}
	var c common
	fs := operatorFlags(e, "firewall "+sub, firewallUsage, &c)
	mode := modeFlag(fs.FlagSet, "XDP attach mode (attach)")
	operands, err := fs.ParseInterleaved(rest)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return command.Usagef("firewall %s: unexpected arguments %q", sub, operands)
	}
	switch sub {
	case "attach":
		return classify(privilege.JobXDP, attach(e, c, *mode))
	case "detach":
		return classify(privilege.JobXDP, detach(e, c))
	}
	return classify(privilege.JobMaps, status(e, c))
}

// xdpOn asks the kernel which XDP program runs on ifindex and how.
func xdpOn(ifindex int) (progID uint32, mode string, err error) {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return 0, "", fmt.Errorf("netlink: find ifindex %d: %w", ifindex, err)
	}
	x := l.Attrs().Xdp
	if x == nil || !x.Attached {
		return 0, "", nil
	}
	modes := map[uint32]string{1: "native", 2: "generic", 3: "offload", 4: "multi"}
	return x.ProgId, modes[x.AttachMode], nil
}

func attach(env env, c common, modeName string) error {
	mode, err := ParseMode(modeName)
	if err != nil {
		return err
	}
	if err := privilege.Check(privilege.JobXDP); err != nil {
		return &command.UsageError{Err: err}
	}
	ifc, err := lookupIface(c.iface)
	if err != nil {
		return err
	}
	if c.pinRoot == DefaultPinRoot {
		// The operator asked for the standard place: make it usable, but
		// only where the mount outlives this process.
		mounted, err := pseudofs.IsMounted(pseudofs.BPFFS, "bpf")
		if err != nil {
			return err
		}
		if !mounted && pseudofs.PrivateMountNS() {
			return command.Usagef("bpffs is not mounted at %s: %s", pseudofs.BPFFS, privateNSHint)
		}
		if did, err := pseudofs.Ensure(pseudofs.BPFFS, "bpf"); err != nil {
			return err
		} else if did {
			fmt.Fprintf(env.Stderr, "mounted bpffs at %s\n", pseudofs.BPFFS)
		}
	}
	if err := onBPFFS(c.pinRoot); err != nil {
		return err
	}
	dir := filepath.Join(c.pinRoot, ifc.Name)
	if _, err := os.Stat(filepath.Join(dir, firewall.ProgPin)); err == nil {
		id, m, _ := xdpOn(ifc.Index)
		return command.Usagef("firewall already attached to %s (program %d, %s mode; pins in %s): run `bpflab firewall detach --iface %s` first", ifc.Name, id, m, dir, ifc.Name)
	}
	if id, m, err := xdpOn(ifc.Index); err != nil {
		return err
	} else if id != 0 {
		return command.Usagef("%s already runs XDP program %d (%s mode) that bpflab did not attach; remove it first", ifc.Name, id, m)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("remove memlock rlimit: %w", err)
	}
	if _, err := mkdirPrivate(c.pinRoot); err != nil {
		return err
	}
	created, err := mkdirPrivate(dir)
	if err != nil {
		return err
	}
	fw, err := firewall.Load(firewall.Options{PinDir: dir, LockTimeout: c.wait})
	if err == nil {
		err = fw.Attach(ifc.Index, mode)
		if err == nil {
			err = fw.PinAttachment()
		}
		if err != nil {
			fw.Detach()
		}
		fw.Close()
	}
	if err != nil {
		if created {
			os.RemoveAll(dir)
		}
		return fmt.Errorf("attach to %s: %w", ifc.Name, err)
	}
	st, err := readStatus(dir, ifc.Index)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "attached firewall to %s: program %d, %s mode, %s; pins in %s\n", ifc.Name, st.ProgID, st.Mode, st.Via, dir)
	return nil
}

func detach(env env, c common) error {
	if err := privilege.Check(privilege.JobXDP); err != nil {
		return &command.UsageError{Err: err}
	}
	t, err := attached(c.pinRoot, c.iface)
	if err != nil {
		return err
	}
	if err := firewall.DetachPinned(t.pinDir, t.iface.Index); err != nil {
		return fmt.Errorf("detach from %s: %w", t.iface.Name, err)
	}
	fmt.Fprintf(env.Stdout, "detached firewall from %s; removed %s\n", t.iface.Name, t.pinDir)
	return nil
}

// Status is what `firewall status` reports.
type Status struct {
	Interface string         `json:"interface"`
	PinDir    string         `json:"pin_dir"`
	ProgID    uint32         `json:"prog_id"`
	Running   bool           `json:"running"` // the pinned program is the one on the interface
	Mode      string         `json:"mode"`
	Via       string         `json:"via"`
	IPv4      int            `json:"ipv4_entries"`
	IPv6      int            `json:"ipv6_entries"`
	Capacity  int            `json:"capacity_per_family"`
	Counters  firewall.Stats `json:"counters"`
}

func readStatus(dir string, ifindex int) (Status, error) {
	st := Status{PinDir: dir, Capacity: firewall.MaxRules, Via: "netlink (kernel without XDP links)"}
	prog, err := ebpf.LoadPinnedProgram(filepath.Join(dir, firewall.ProgPin), nil)
	if err != nil {
		return st, fmt.Errorf("open pinned program: %w", err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return st, fmt.Errorf("program info: %w", err)
	}
	id, _ := info.ID()
	st.ProgID = uint32(id)
	if l, err := os.Stat(filepath.Join(dir, firewall.LinkPin)); err == nil && !l.IsDir() {
		st.Via = "pinned BPF link"
	}
	onIf, mode, err := xdpOn(ifindex)
	if err != nil {
		return st, err
	}
	st.Running, st.Mode = onIf == st.ProgID, mode
	if !st.Running {
		st.Mode = "not attached"
	}
	return st, nil
}

func status(env env, c common) error {
	t, err := attached(c.pinRoot, c.iface)
	if err != nil {
		return err
	}
	st, err := readStatus(t.pinDir, t.iface.Index)
	if err != nil {
		return err
	}
	st.Interface = t.iface.Name
	fw, err := firewall.Open(firewall.Options{PinDir: t.pinDir})
	if err != nil {
		return err
	}
	defer fw.Close()
	if st.IPv4, st.IPv6, err = fw.Entries(); err != nil {
		return err
	}
	if st.Counters, err = fw.Stats(); err != nil {
		return err
	}
	if c.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	k := st.Counters
	fmt.Fprintf(env.Stdout, "interface  %s (ifindex %d)\nprogram    id %d, %s mode, via %s\npins       %s\nentries    IPv4 %d, IPv6 %d (capacity %d per family)\ncounters   passed %d, dropped %d, malformed %d, non-ip %d, ipv4 %d, ipv6 %d, vlan %d\n",
		st.Interface, t.iface.Index, st.ProgID, st.Mode, st.Via, st.PinDir, st.IPv4, st.IPv6, st.Capacity,
		k.Passed, k.Dropped, k.Malformed, k.NonIP, k.IPv4, k.IPv6, k.VLAN)
	if !st.Running {
		return errors.New("the pinned program is no longer attached to the interface (removed by someone else?); run `bpflab firewall detach` and attach again")
	}
	return nil
}
