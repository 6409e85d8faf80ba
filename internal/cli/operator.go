package cli

import (
	"io"
	"os"
	"time"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
)

// env is what an operator command (firewall, policy, trace) reads and
// writes: `policy load -` reads the process's stdin.
type env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

func newEnv(stdout, stderr io.Writer) env {
	return env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr}
}

// common are the flags every firewall and policy subcommand takes.
type common struct {
	iface   string
	pinRoot string
	wait    time.Duration
	json    bool
}

func operatorFlags(e env, name, synopsis string, c *common) *command.FlagSet {
	fs := command.NewFlags(name, synopsis, e.Stdout)
	fs.StringVar(&c.iface, "iface", "", "network interface (in this network namespace)")
	fs.StringVar(&c.pinRoot, "pin-root", DefaultPinRoot, "bpffs directory holding one pin dir per interface")
	fs.DurationVar(&c.wait, "wait", firewall.DefaultLockTimeout, "how long to wait for another process changing the same firewall")
	fs.BoolVar(&c.json, "json", false, "print JSON")
	return fs
}
