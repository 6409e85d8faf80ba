package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/cilium/ebpf/rlimit"

	"github.com/bpflab/bpflab/bpf/execve"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/privilege"
	"github.com/bpflab/bpflab/internal/pseudofs"
)

const traceUsage = "usage: bpflab trace execve [--pid N] [--json] [--counts] [-n N]\n"

func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env := newEnv(stdout, stderr)
	_, rest, err := command.Subcommand(args, "trace", traceUsage, stdout, "execve")
	if err != nil {
		return err
	}
	fs := command.NewFlags("trace execve", traceUsage, stdout)
	pid := fs.Uint("pid", 0, "only events of this process (thread group id)")
	asJSON := fs.Bool("json", false, "one JSON object per event")
	counts := fs.Bool("counts", false, "at exit, print execve calls per PID (all processes) from the counts map")
	limit := fs.Int("n", 0, "stop after this many events (0: until Ctrl-C)")
	operands, err := fs.ParseInterleaved(rest)
	if err != nil {
		return err
	}
	if len(operands) > 0 {
		return command.Usagef("trace execve: unexpected arguments %q", operands)
	}
	if *pid > 1<<22 {
		return command.Usagef("trace execve: --pid %d is beyond the kernel's PID range", *pid)
	}
	if err := privilege.Check(privilege.JobTracing); err != nil {
		return &command.UsageError{Err: err}
	}
	// Attaching needs tracefs; the tracer needs no pins but maps may need
	// the memlock limit lifted on kernels before 5.11.
	if _, err := pseudofs.Ensure(pseudofs.Tracefs, "tracefs"); err != nil {
		return err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("remove memlock rlimit: %w", err)
	}
	tr, err := execve.Load(execve.Options{EventTGID: uint32(*pid)})
	if err != nil {
		return classify(privilege.JobTracing, err)
	}
	// Close detaches: deferred so Ctrl-C (ctx cancelled) leaves nothing behind.
	defer tr.Close()
	if err := tr.Attach(); err != nil {
		return classify(privilege.JobTracing, err)
	}
	fmt.Fprintf(env.Stderr, "tracing execve via %s; Ctrl-C to stop\n", tr.Transport())
	enc := json.NewEncoder(env.Stdout)
	for n := 0; *limit == 0 || n < *limit; n++ {
		ev, err := tr.ReadEvent(ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			return err
		}
		if *asJSON {
			if err := enc.Encode(ev); err != nil {
				return err
			}
			continue
		}
		kind := "execve"
		if ev.Execveat {
			kind = "execveat"
		}
		fmt.Fprintf(env.Stdout, "%-8s pid=%-7d ppid=%-7d uid=%-5d comm=%-16q %s\n", kind, ev.TGID, ev.PPID, ev.UID, ev.Comm, ev.Filename)
	}
	if *counts {
		if err := printCounts(env, tr, uint32(*pid), *asJSON); err != nil {
			return err
		}
	}
	if lost := tr.Lost(); lost > 0 {
		fmt.Fprintf(env.Stderr, "lost %d events (buffer full)\n", lost)
	}
	return nil
}

func printCounts(env env, tr *execve.Tracker, pid uint32, asJSON bool) error {
	all, err := tr.Counts()
	if err != nil {
		return err
	}
	pids := make([]uint32, 0, len(all))
	for p := range all {
		if pid == 0 || p == pid {
			pids = append(pids, p)
		}
	}
	sort.Slice(pids, func(i, j int) bool {
		return all[pids[i]] > all[pids[j]] || all[pids[i]] == all[pids[j]] && pids[i] < pids[j]
	})
	if asJSON {
		out := make(map[string]uint64, len(pids))
		for _, p := range pids {
			out[fmt.Sprint(p)] = all[p]
		}
		return json.NewEncoder(env.Stdout).Encode(map[string]any{"counts": out})
	}
	fmt.Fprintf(env.Stdout, "%8s  %s\n", "PID", "EXECVE")
	for _, p := range pids {
		fmt.Fprintf(env.Stdout, "%8d  %d\n", p, all[p])
	}
	return nil
}
