package report

import (
	"fmt"
	"regexp"
	"strings"
)

// Splat is one kernel warning or error found in a kernel's log (WARN,
// BUG, Oops, KASAN, UBSAN, lockdep, RCU stall, lockup, hung task). A splat
// fails its kernel unless an allowlist entry covers it (Allowed says why).
type Splat struct {
	Kind    string `json:"kind"`              // e.g. "WARNING", "BUG: soft lockup"
	Line    string `json:"line"`              // the line that matched
	Text    string `json:"text"`              // the line and what follows it (the report)
	Allowed string `json:"allowed,omitempty"` // allowlist reason, if covered
}

// splatStart matches the first line of a kernel splat, after the
// "[  12.345678] " timestamp. Kinds follow libbpf CI's check-kernel-splats.
var splatStart = regexp.MustCompile(`(?:^|\] |\] \w+: )(` +
	// WARN(), WARN_ON(), WARN_ONCE(): "WARNING: CPU: 0 PID: 1 at file:line"
	// (5.10-6.x) or "WARNING: file:line at func+0x..., CPU#0" (newer);
	// a pr_warn("WARNING: ...") without a location is not a splat.
	`WARNING: (?:CPU: |\S+:\d+ at |.* at \S+\+0x)|` +
	`WARNING: (?:possible|suspicious|inconsistent|bad unlock)|` + // lockdep
	`BUG: |` + // BUG(), soft lockup, scheduling while atomic, KASAN, sleeping function ...
	`kernel BUG at |` +
	`Oops: |` + `general protection fault|` +
	`UBSAN: |` +
	`======================================================|` + // lockdep/KASAN banner start (ignored below)
	`rcu: INFO: rcu_\w+ (?:self-)?detected stalls?|INFO: rcu_\w+ (?:self-)?detected stalls?|` +
	`Watchdog detected hard LOCKUP|` +
	`INFO: task \S+ blocked for more than|` +
	`Kernel panic - not syncing)`)

// splatContext is how many lines after the first are kept as its text.
const splatContext = 40

// ScanSplats finds the splats in a kernel log (dmesg or console text).
func ScanSplats(log string) []Splat {
	lines := strings.Split(strings.ReplaceAll(log, "\r\n", "\n"), "\n")
	var out []Splat
	for i := 0; i < len(lines); i++ {
		m := splatStart.FindStringSubmatch(lines[i])
		if m == nil || strings.HasPrefix(m[1], "=====") {
			continue
		}
		end := min(i+1+splatContext, len(lines))
		// The report ends at the next splat or its own end marker.
		for j := i + 1; j < end; j++ {
			if splatStart.MatchString(lines[j]) && !strings.HasPrefix(splatStart.FindStringSubmatch(lines[j])[1], "=====") ||
				strings.Contains(lines[j], "---[ end trace") {
				end = j + 1
				if !strings.Contains(lines[j], "---[ end trace") {
					end = j
				}
				break
			}
		}
		at := strings.Index(lines[i], m[1])
		out = append(out, Splat{
			Kind: splatKind(lines[i][at:]),
			Line: strings.TrimSpace(lines[i]),
			Text: strings.TrimRight(strings.Join(lines[i:end], "\n"), "\n"),
		})
		i = end - 1
	}
	return out
}

// splatKind names a splat by its first words: "WARNING", "BUG: soft
// lockup", "INFO: task ... blocked" and so on.
func splatKind(s string) string {
	switch {
	case strings.HasPrefix(s, "WARNING: possible"), strings.HasPrefix(s, "WARNING: suspicious"),
		strings.HasPrefix(s, "WARNING: inconsistent"), strings.HasPrefix(s, "WARNING: bad unlock"):
		return "lockdep"
	case strings.HasPrefix(s, "WARNING: "):
		return "WARNING"
	case strings.HasPrefix(s, "BUG: "):
		rest := strings.TrimPrefix(s, "BUG: ")
		if i := strings.IndexAny(rest, "-:"); i > 0 {
			rest = rest[:i]
		}
		return "BUG: " + strings.TrimSpace(rest)
	case strings.HasPrefix(s, "INFO: task"):
		return "hung task"
	case strings.Contains(s, "detected stall"):
		return "RCU stall"
	case strings.HasPrefix(s, "Watchdog detected hard LOCKUP"):
		return "hard lockup"
	}
	if i := strings.IndexAny(s, ":"); i > 0 {
		return s[:i]
	}
	return s
}

// UnallowedSplats returns the splats no allowlist entry covers.
func (k *Kernel) UnallowedSplats() []Splat {
	var out []Splat
	for _, s := range k.Splats {
		if s.Allowed == "" {
			out = append(out, s)
		}
	}
	return out
}

func (s Splat) String() string {
	if s.Allowed != "" {
		return fmt.Sprintf("%s (allowed: %s)", s.Line, s.Allowed)
	}
	return s.Line
}
