package guard

import (
	"fmt"
	"os"
	"strings"

	"github.com/bpflab/bpflab/internal/pseudofs"
)

// SecurityFS is where the kernel lists its active LSMs.
const SecurityFS = "/sys/kernel/security"

// ActiveLSMs returns the kernel's active LSMs, in order, from securityfs
// (mounting it if needed, as testenv mounts bpffs).
func ActiveLSMs() ([]string, error) {
	if _, err := pseudofs.Ensure(SecurityFS, "securityfs"); err != nil {
		return nil, fmt.Errorf("mount securityfs at %s: %w", SecurityFS, err)
	}
	b, err := os.ReadFile(SecurityFS + "/lsm")
	if err != nil {
		return nil, fmt.Errorf("read active LSMs: %w", err)
	}
	return strings.Split(strings.TrimSpace(string(b)), ","), nil
}

// RequireBPFLSM fails unless the bpf LSM is active.
func RequireBPFLSM() error {
	lsms, err := ActiveLSMs()
	if err != nil {
		return err
	}
	for _, l := range lsms {
		if l == "bpf" {
			return nil
		}
	}
	return fmt.Errorf("the bpf LSM is not active in this kernel (%s/lsm: %s): BPF LSM programs would never run; boot with lsm=%s,bpf (kernel built with CONFIG_BPF_LSM=y) (%w)",
		SecurityFS, strings.Join(lsms, ","), strings.Join(lsms, ","), ErrBadInput)
}
