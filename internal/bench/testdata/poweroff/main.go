// Command poweroff is the bare-boot floor's /init: it powers the machine
// off as soon as the kernel starts it, so a boot measures only the kernel.
package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	unix.Sync()
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	// Reaching here means the power-off failed; PID 1 exiting panics the
	// kernel, which panic=-1 turns into a reboot (-no-reboot: qemu exits).
	fmt.Fprintf(os.Stderr, "poweroff: %v\n", err)
	os.Exit(1)
}
