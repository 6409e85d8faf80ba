package pseudofs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cilium/ebpf/rlimit"
)

// Prepare readies the running kernel for loading BPF programs and making
// network namespaces, for tests and for commands alike: it requires root,
// mounts bpffs and tracefs where they are missing (saying so on log), and
// lifts the memlock rlimit (kernels before 5.11 charge BPF maps to it).
func Prepare(log io.Writer) error {
	if os.Geteuid() != 0 {
		return errors.New("this needs root (it loads BPF programs and creates network namespaces); run it with sudo or through `make test`")
	}
	for _, m := range []struct{ dir, fstype string }{{BPFFS, "bpf"}, {Tracefs, "tracefs"}} {
		mounted, err := Ensure(m.dir, m.fstype)
		if mounted {
			fmt.Fprintf(log, "mounted %s at %s\n", m.fstype, m.dir)
		}
		if err != nil {
			return err
		}
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("remove memlock rlimit: %w", err)
	}
	return nil
}
