package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/cilium/ebpf/rlimit"

	"github.com/bpflab/bpflab/bpf/firewall"
	"github.com/bpflab/bpflab/internal/cli/command"
	"github.com/bpflab/bpflab/internal/privilege"
)

const policyUsage = `usage: bpflab policy SUBCOMMAND [--iface IF] [flags] [ARGS]

  block CIDR...    add prefixes to the live blocklist
  unblock CIDR...  remove prefixes
  list             print the blocked prefixes
  stats            print the firewall's counters
  load FILE|-      replace the whole set atomically from a policy file (one CIDR per line)
  export           print the set in the format load reads

--iface may be left out when exactly one interface has a firewall.
`

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env := newEnv(stdout, stderr)
	sub, rest, err := command.Subcommand(args, "policy", policyUsage, stdout, "block", "unblock", "list", "stats", "load", "export")
	if err != nil {
		return err
	}
	var c common
	fs := operatorFlags(env, "policy "+sub, policyUsage, &c)
	perElement := fs.Bool("per-element", false, "load: one update per entry even where batches work")
	operands, err := fs.ParseInterleaved(rest)
	if err != nil {
		return err
	}
	// Every operand is checked before the firewall is even opened.
	var prefixes []netip.Prefix
	switch sub {
	case "block", "unblock":
		ps, err := parseCIDRs(operands)
		if err != nil {
			return err
		}
		prefixes = ps
	case "load":
		if len(operands) != 1 {
			return command.Usagef("policy load: want exactly one FILE (or - for stdin), got %d arguments", len(operands))
		}
	default:
		if len(operands) > 0 {
			return command.Usagef("policy %s: unexpected arguments %q", sub, operands)
		}
	}
	var policy []netip.Prefix
	if sub == "load" {
		if policy, err = readPolicy(env, operands[0]); err != nil {
			return err
		}
	}
	err = withFirewall(c, func(fw *firewall.Firewall) error {
		switch sub {
		case "block":
			if err := fw.BlockAll(prefixes); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "blocked %d prefixes\n", len(prefixes))
		case "unblock":
			if err := fw.UnblockAll(prefixes); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "unblocked %d prefixes\n", len(prefixes))
		case "list", "export":
			return list(env, c, fw, sub == "export")
		case "stats":
			return stats(env, c, fw)
		case "load":
			start := time.Now()
			rep, err := fw.ReplaceWith(policy, firewall.ReplaceOptions{PerElement: *perElement})
			if err != nil {
				return err
			}
			how := "per-element updates"
			if rep.Batch {
				how = "batch updates"
			}
			fmt.Fprintf(env.Stdout, "loaded %d IPv4 + %d IPv6 prefixes from %s: filled in %v (%s), swapped in %v, total %v\n",
				rep.V4, rep.V6, operands[0], rep.Fill.Round(time.Millisecond), how, rep.Swap.Round(time.Microsecond), time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	return classify(privilege.JobMaps, err)
}

func readPolicy(env env, name string) ([]netip.Prefix, error) {
	var r io.Reader = env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, command.Usagef("policy file: %v", err)
		}
		defer f.Close()
		r = f
	} else {
		name = "<stdin>"
	}
	ps, err := ParsePolicy(r, name)
	if err != nil {
		return nil, &command.UsageError{Err: err}
	}
	return ps, nil
}

// withFirewall opens the firewall pinned for c.iface (or the only one).
func withFirewall(c common, fn func(fw *firewall.Firewall) error) error {
	if err := privilege.Check(privilege.JobMaps); err != nil {
		return &command.UsageError{Err: err}
	}
	if c.iface == "" {
		name, err := defaultIface(c.pinRoot)
		if err != nil {
			return err
		}
		c.iface = name
	}
	t, err := attached(c.pinRoot, c.iface)
	if err != nil {
		return err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("remove memlock rlimit: %w", err)
	}
	fw, err := firewall.Open(firewall.Options{PinDir: t.pinDir, LockTimeout: c.wait})
	if err != nil {
		return err
	}
	defer fw.Close()
	return fn(fw)
}

func list(env env, c common, fw *firewall.Firewall, export bool) error {
	ps, err := fw.Blocked()
	if err != nil {
		return err
	}
	if c.json {
		strs := make([]string, len(ps))
		for i, p := range ps {
			strs[i] = p.String()
		}
		return json.NewEncoder(env.Stdout).Encode(map[string]any{"blocked": strs})
	}
	header := ""
	if export {
		header = fmt.Sprintf("bpflab policy export from %s, %s, %d prefixes (load with `bpflab policy load FILE`)",
			fw.PinDir(), time.Now().UTC().Format(time.RFC3339), len(ps))
	}
	return writePolicy(env.Stdout, header, ps)
}

func stats(env env, c common, fw *firewall.Firewall) error {
	s, err := fw.Stats()
	if err != nil {
		return err
	}
	if c.json {
		return json.NewEncoder(env.Stdout).Encode(s)
	}
	fmt.Fprintf(env.Stdout, "passed     %d\ndropped    %d\nmalformed  %d\nnon-ip     %d\nipv4       %d\nipv6       %d\nvlan       %d\nno-list    %d\n",
		s.Passed, s.Dropped, s.Malformed, s.NonIP, s.IPv4, s.IPv6, s.VLAN, s.NoList)
	return nil
}
