package mutate

import (
	"fmt"
	"sort"
	"strings"
)

// Operator names, as reported and accepted by --operators.
const (
	OpRelational = "relational" // > <-> >=, < <-> <=, == <-> !=
	OpAction     = "action"     // XDP_PASS <-> XDP_DROP, TC_ACT_OK <-> TC_ACT_SHOT, ...
	OpByteOrder  = "byte-order" // bpf_htons(X) -> X
	OpMapFlag    = "map-flag"   // BPF_NOEXIST / BPF_ANY / BPF_EXIST
	OpConstant   = "constant"   // N -> N+1, N-1
	OpDelete     = "delete"     // a counter bump, an early return, a bounds check, an assignment
	OpHelper     = "helper"     // probe_read_user <-> _kernel, ringbuf_submit <-> discard, ...
	OpField      = "field"      // saddr <-> daddr, pid <-> tgid, uid <-> gid, ...
)

// Operators lists every operator name.
var Operators = []string{OpRelational, OpAction, OpByteOrder, OpMapFlag, OpConstant, OpDelete, OpHelper, OpField}

// Mutant is one planted bug: a single text replacement in a C source.
type Mutant struct {
	ID       string `json:"id"`       // stable for the same sources: <ident>-<n>
	Program  string `json:"program"`  // bpf2go identifier
	File     string `json:"file"`     // source path relative to the module root
	Line     int    `json:"line"`     // 1-based line of the change
	Operator string `json:"operator"` // one of Operators
	Offset   int    `json:"offset"`   // byte offset of the replaced text
	Old      string `json:"old"`      // replaced text
	New      string `json:"new"`      // replacement
	Before   string `json:"before"`   // the source line before
	After    string `json:"after"`    // the source line after (first line for multi-line edits)
	Patch    string `json:"diff"`     // unified diff
}

// Diff is the mutant as a unified diff against the original source.
func (m Mutant) Diff() string { return m.Patch }

// unifiedDiff renders one contiguous edit of src as a unified diff with
// ctx lines of context.
func unifiedDiff(file string, src, out []byte, off, oldEnd, newEnd int, ctx int) string {
	a := strings.Split(string(src), "\n")
	b := strings.Split(string(out), "\n")
	first := lineOf(src, off) - 1 // 0-based first changed line
	lastA := lineOf(src, max(off, oldEnd-1)) - 1
	lastB := lineOf(out, max(off, newEnd-1)) - 1
	if newEnd == off { // deletion: of whole lines, or of part of one
		lastB = first
		if (off == 0 || src[off-1] == '\n') && oldEnd > 0 && src[oldEnd-1] == '\n' {
			lastB = first - 1
			lastA = lineOf(src, oldEnd-1) - 1
		}
	}
	from := max(0, first-ctx)
	toA, toB := min(len(a)-1, lastA+ctx), min(len(b)-1, lastB+ctx)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n@@ -%d,%d +%d,%d @@\n", file, file, from+1, toA-from+1, from+1, toB-from+1)
	for i := from; i < first; i++ {
		sb.WriteString(" " + a[i] + "\n")
	}
	for i := first; i <= lastA; i++ {
		sb.WriteString("-" + a[i] + "\n")
	}
	for i := first; i <= lastB; i++ {
		sb.WriteString("+" + b[i] + "\n")
	}
	for i := lastA + 1; i <= toA; i++ {
		sb.WriteString(" " + a[i] + "\n")
	}
	return sb.String()
}

// Apply returns src with the mutant's replacement made, checking that the
// text it replaces is still there.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	if m.Offset < 0 || m.Offset+len(m.Old) > len(src) || string(src[m.Offset:m.Offset+len(m.Old)]) != m.Old {
		return nil, fmt.Errorf("mutant %s: %s no longer has %q at offset %d (the source changed since the mutants were listed)", m.ID, m.File, m.Old, m.Offset)
	}
	out := make([]byte, 0, len(src)-len(m.Old)+len(m.New))
	out = append(out, src[:m.Offset]...)
	out = append(out, m.New...)
	return append(out, src[m.Offset+len(m.Old):]...), nil
}

// Change is the one-line description used in tables: "a > b  ->  a >= b".
func (m Mutant) Change() string {
	return strings.TrimSpace(m.Before) + "  =>  " + strings.TrimSpace(m.After)
}

// edit is a candidate mutation before it gets an ID.
type edit struct {
	op       string
	off, end int // replaced range [off, end)
	repl     string
}

// finish turns edits into mutants: drops duplicates (a macro argument is
// seen once per expansion) and no-ops, orders them by position and
// operator, and numbers them.
func finish(ident, file string, src []byte, edits []edit) []Mutant {
	seen := map[string]bool{}
	var uniq []edit
	for _, e := range edits {
		if e.repl == "" { // a deleted statement on lines of its own takes its lines along
			ls := strings.LastIndexByte(string(src[:e.off]), '\n') + 1
			le := strings.IndexByte(string(src[e.end:]), '\n')
			if le >= 0 && strings.TrimSpace(string(src[ls:e.off])) == "" && strings.TrimSpace(string(src[e.end:e.end+le])) == "" {
				e.off, e.end = ls, e.end+le+1
			}
		}
		if e.off < 0 || e.end > len(src) || e.off > e.end || string(src[e.off:e.end]) == e.repl {
			continue
		}
		key := fmt.Sprintf("%d:%d:%s", e.off, e.end, e.repl)
		if seen[key] {
			continue
		}
		seen[key] = true
		uniq = append(uniq, e)
	}
	sort.SliceStable(uniq, func(i, j int) bool {
		if uniq[i].off != uniq[j].off {
			return uniq[i].off < uniq[j].off
		}
		if uniq[i].end != uniq[j].end {
			return uniq[i].end < uniq[j].end
		}
		return uniq[i].repl < uniq[j].repl
	})
	muts := make([]Mutant, 0, len(uniq))
	for i, e := range uniq {
		m := Mutant{
			ID: fmt.Sprintf("%s-%03d", ident, i+1), Program: ident, File: file,
			Line: lineOf(src, skipSpace(src, e.off)), Operator: e.op, Offset: e.off,
			Old: string(src[e.off:e.end]), New: e.repl, Before: lineText(src, skipSpace(src, e.off)),
		}
		after, _ := m.Apply(src)
		m.After = lineText(after, e.off)
		m.Patch = unifiedDiff(file, src, after, e.off, e.end, e.off+len(e.repl), 2)
		if e.repl == "" {
			m.After = "(deleted)"
		}
		muts = append(muts, m)
	}
	return muts
}
