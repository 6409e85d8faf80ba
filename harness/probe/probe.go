package probe

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// Status is a probe outcome.
type Status string

const (
	Supported   Status = "supported"
	Unsupported Status = "not supported"
	Unknown     Status = "unknown" // the probe could not tell; see Detail
)

// Result is one probed feature.
type Result struct {
	Feature Feature `json:"-"`
	Name    string  `json:"name"`
	Min     string  `json:"min,omitempty"` // documented minimum version
	Status  Status  `json:"status"`
	Detail  string  `json:"detail"`
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %s (%s)", r.Name, r.Status, r.Detail)
}

// Prober runs probes and caches conclusive results (supported or not),
// never "unknown", so a transient failure is probed again.
type Prober struct {
	mu    sync.Mutex
	cache map[Feature]Result
}

// New returns an empty Prober.
func New() *Prober { return &Prober{cache: map[Feature]Result{}} }

// Probe probes one feature.
func (p *Prober) Probe(f Feature) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.cache[f]; ok {
		return r
	}
	in := f.info()
	r := Result{Feature: f, Name: in.name}
	if !in.min.IsZero() {
		r.Min = in.min.String()
	}
	ok, detail, err := in.probe()
	switch {
	case err != nil:
		r.Status, r.Detail = Unknown, err.Error()
		return r
	case ok:
		r.Status = Supported
	default:
		r.Status = Unsupported
	}
	r.Detail = detail
	p.cache[f] = r
	return r
}

// All probes every feature.
func (p *Prober) All() []Result {
	var out []Result
	for _, f := range All() {
		out = append(out, p.Probe(f))
	}
	return out
}

// Disagreement is a probe result that contradicts the documented minimum.
type Disagreement struct {
	Result
	Kernel string `json:"kernel"`
	// Backport: supported on a kernel older than the minimum (a distro
	// backport; noted, not an error). Otherwise the feature is missing on
	// a kernel new enough to have it.
	Backport bool `json:"backport"`
	// Explanation is set when the cause was found (a disabled kernel
	// option, a kernel build without the feature); empty means unexplained.
	Explanation string `json:"explanation,omitempty"`
}

func (d Disagreement) String() string {
	if d.Backport {
		return fmt.Sprintf("%s: supported on %s, older than its minimum %s (distro backport?): %s", d.Name, d.Kernel, d.Min, d.Detail)
	}
	s := fmt.Sprintf("%s: %s on %s although it needs only %s: %s", d.Name, d.Status, d.Kernel, d.Min, d.Detail)
	if d.Explanation != "" {
		s += "; explained: " + d.Explanation
	} else {
		s += "; UNEXPLAINED (probe bug, or a kernel option/distro difference to look into)"
	}
	return s
}

// Unexplained reports whether d is a missing feature nobody explained.
func (d Disagreement) Unexplained() bool { return !d.Backport && d.Explanation == "" }

// Check compares results with kernel version v. Unknown results and
// features without a documented minimum are not compared.
func Check(results []Result, v Version) []Disagreement {
	var out []Disagreement
	for _, r := range results {
		min := r.Feature.MinVersion()
		if min.IsZero() || r.Status == Unknown {
			continue
		}
		switch {
		case r.Status == Unsupported && !v.Less(min):
			out = append(out, Disagreement{Result: r, Kernel: v.String(), Explanation: explain(r)})
		case r.Status == Supported && v.Less(min):
			out = append(out, Disagreement{Result: r, Kernel: v.String(), Backport: true})
		}
	}
	return out
}

// explain looks for a known reason a feature is missing on a kernel that
// should have it.
func explain(r Result) string {
	switch r.Feature {
	case KernelSignatures:
		if strings.Contains(r.Detail, "EOPNOTSUPP") {
			return "the kernel knows the signature attribute but this build cannot verify signatures (kernel configuration)"
		}
	case KernelBTF:
		if opt, ok := kernelConfig("CONFIG_DEBUG_INFO_BTF"); ok && opt != "y" {
			return "CONFIG_DEBUG_INFO_BTF is not set in this kernel's config"
		}
	}
	if opt, ok := kernelConfig("CONFIG_BPF_SYSCALL"); ok && opt != "y" {
		return "CONFIG_BPF_SYSCALL is not set in this kernel's config"
	}
	return ""
}

// kernelConfig reads one option from /boot/config-<release>, if present.
func kernelConfig(name string) (string, bool) {
	_, rel, err := KernelVersion()
	if err != nil {
		return "", false
	}
	data, err := os.ReadFile("/boot/config-" + rel)
	if err != nil {
		return "", false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			return v, true
		}
		if l == "# "+name+" is not set" {
			return "n", true
		}
	}
	return "", false
}

// Skip skips tb when feature f is not supported, saying why, e.g.
// "ring buffer: not supported (needs 5.8, kernel 5.4.0)". It fails instead
// when the probe cannot tell, or when the kernel is new enough that the
// feature should be there and nothing explains its absence.
func Skip(tb testing.TB, f Feature) {
	tb.Helper()
	r := New().Probe(f)
	if r.Status == Supported {
		return
	}
	v, rel, err := KernelVersion()
	if err != nil {
		tb.Fatalf("probe %s: %v", r.Name, err)
	}
	skip, msg := skipDecision(r, v, rel)
	if !skip {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// skipDecision says whether a test needing r's feature should skip (with
// msg as the reason) or fail (msg says why).
func skipDecision(r Result, v Version, release string) (bool, string) {
	switch r.Status {
	case Supported:
		return false, r.Name + ": supported, nothing to skip"
	case Unknown:
		return false, fmt.Sprintf("probe %s: could not tell: %s", r.Name, r.Detail)
	}
	if ds := Check([]Result{r}, v); len(ds) == 1 && ds[0].Unexplained() {
		return false, fmt.Sprintf("probe disagrees with its documented minimum: %s", ds[0])
	}
	need := "no documented minimum"
	if r.Min != "" {
		need = "needs " + r.Min
	}
	return true, fmt.Sprintf("%s: %s (%s, kernel %s): %s", r.Name, r.Status, need, release, r.Detail)
}
