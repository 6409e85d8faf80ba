package guest

import "os"

// Subcommand is the argument that makes bpflab the guest runner as an
// ordinary process (`bpflab guest --spec SPEC --results DIR`, as the vng
// backend runs it inside a guest that already has an init).
const Subcommand = "guest"

// Dispatch makes the bpflab binary the guest runner when it is started as
// one, and then exits; otherwise it returns and the CLI runs. Call it first
// thing in main. bpflab is the runner when it is:
//
//   - PID 1 with BPFLAB_GUEST=1 (the qemu backend's kernel command line
//     passes it to /init);
//   - the kernel's modprobe helper: /init -q -- NAME, not PID 1 (see
//     Modprobe);
//   - started as `bpflab guest ...`.
//
// One binary is thus host CLI, guest init and guest runner, as lmb/vimto's
// is, so `go install` gives a complete lab.
func Dispatch(args []string) {
	if len(args) == 0 {
		return
	}
	if name, ok := ModprobeRequest(args[1:]); ok && args[0] == "/init" {
		os.Exit(Modprobe(name))
	}
	if os.Getpid() == 1 && os.Getenv("BPFLAB_GUEST") == "1" {
		os.Exit(Main(args[1:]))
	}
	if len(args) > 1 && args[1] == Subcommand {
		os.Exit(Main(args[2:]))
	}
}
