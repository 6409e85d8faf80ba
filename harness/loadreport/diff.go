package loadreport

import (
	"fmt"
	"strconv"
)

// Difference is one thing that differs between two reports.
type Difference struct {
	// Category groups differences for summaries: CategoryPresence,
	// CategoryLoad, CategoryRelocation or CategoryStats.
	Category string `json:"category"`
	Object   string `json:"object"`
	Program  string `json:"program,omitempty"`
	Item     string `json:"item"` // e.g. "loaded", "byte_off task_struct___new.__state", "insns processed"
	A        string `json:"a"`    // value in the first report ("absent" if it has none)
	B        string `json:"b"`
}

func (d Difference) String() string {
	where := d.Object
	if d.Program != "" {
		where += "/" + d.Program
	}
	return fmt.Sprintf("%s: %s: %s -> %s", where, d.Item, d.A, d.B)
}

const absent = "absent"

// Difference categories.
const (
	CategoryPresence   = "presence"   // object or program only in one report
	CategoryLoad       = "load"       // loaded, error, offending instruction
	CategoryRelocation = "relocation" // a CO-RE relocation resolved differently
	CategoryStats      = "stats"      // verifier statistics
)

// Diff lists what differs from a to b: objects and programs present in
// only one, load results, errors and offending instructions, each CO-RE
// relocation's resolution (matched by kind and access path, in order), and
// the verifier statistics. Equal reports give no differences.
func Diff(a, b Report) []Difference {
	var out []Difference
	bo := map[string]ObjectReport{}
	for _, o := range b.Objects {
		bo[o.Name] = o
	}
	seen := map[string]bool{}
	for _, oa := range a.Objects {
		seen[oa.Name] = true
		ob, ok := bo[oa.Name]
		if !ok {
			out = append(out, Difference{Category: CategoryPresence, Object: oa.Name, Item: "object", A: "present", B: absent})
			continue
		}
		out = append(out, diffObject(oa, ob)...)
	}
	for _, ob := range b.Objects {
		if !seen[ob.Name] {
			out = append(out, Difference{Category: CategoryPresence, Object: ob.Name, Item: "object", A: absent, B: "present"})
		}
	}
	return out
}

func diffObject(a, b ObjectReport) []Difference {
	var out []Difference
	if a.Error != b.Error {
		out = append(out, Difference{Category: CategoryLoad, Object: a.Name, Item: "object error", A: orNone(a.Error), B: orNone(b.Error)})
	}
	bp := map[string]ProgramReport{}
	for _, p := range b.Programs {
		bp[p.Name] = p
	}
	seen := map[string]bool{}
	for _, pa := range a.Programs {
		seen[pa.Name] = true
		pb, ok := bp[pa.Name]
		if !ok {
			out = append(out, Difference{Category: CategoryPresence, Object: a.Name, Program: pa.Name, Item: "program", A: "present", B: absent})
			continue
		}
		out = append(out, diffProgram(a.Name, pa, pb)...)
	}
	for _, pb := range b.Programs {
		if !seen[pb.Name] {
			out = append(out, Difference{Category: CategoryPresence, Object: a.Name, Program: pb.Name, Item: "program", A: absent, B: "present"})
		}
	}
	return out
}

func diffProgram(obj string, a, b ProgramReport) []Difference {
	var out []Difference
	add := func(cat, item, va, vb string) {
		if va != vb {
			out = append(out, Difference{Category: cat, Object: obj, Program: a.Name, Item: item, A: va, B: vb})
		}
	}
	add(CategoryLoad, "loaded", strconv.FormatBool(a.Loaded), strconv.FormatBool(b.Loaded))
	add(CategoryLoad, "error", orNone(a.Error), orNone(b.Error))
	add(CategoryLoad, "offending instruction", orNone(a.Offending), orNone(b.Offending))

	key := func(r Relocation, n int) string { return fmt.Sprintf("%s %s#%d", r.Kind, r.Access, n) }
	index := func(rs []Relocation) (map[string]Relocation, []string) {
		m, order, count := map[string]Relocation{}, []string(nil), map[string]int{}
		for _, r := range rs {
			base := r.Kind + " " + r.Access
			k := key(r, count[base])
			count[base]++
			m[k] = r
			order = append(order, k)
		}
		return m, order
	}
	ra, orderA := index(a.Relocations)
	rb, orderB := index(b.Relocations)
	for _, k := range orderA {
		item := trimOccurrence(k)
		if r, ok := rb[k]; ok {
			add(CategoryRelocation, item, ra[k].Target, r.Target)
		} else {
			add(CategoryRelocation, item, ra[k].Target, absent)
		}
	}
	for _, k := range orderB {
		if _, ok := ra[k]; !ok {
			add(CategoryRelocation, trimOccurrence(k), absent, rb[k].Target)
		}
	}

	sa, sb := statsMap(a.Stats), statsMap(b.Stats)
	for _, name := range []string{"insns processed", "total states", "peak states", "max states per insn", "verified insns"} {
		add(CategoryStats, name, sa[name], sb[name])
	}
	return out
}

// trimOccurrence drops the "#n" suffix of a relocation key for display
// when it is the first occurrence.
func trimOccurrence(k string) string {
	if n := len(k); n > 2 && k[n-2:] == "#0" {
		return k[:n-2]
	}
	return k
}

func statsMap(s *VerifierStats) map[string]string {
	if s == nil {
		return map[string]string{} // no stats at all: the program did not load
	}
	m := map[string]string{
		"insns processed":     strconv.Itoa(s.InsnsProcessed),
		"total states":        strconv.Itoa(s.TotalStates),
		"peak states":         strconv.Itoa(s.PeakStates),
		"max states per insn": strconv.Itoa(s.MaxStatesPerInsn),
	}
	m["verified insns"] = "n/a" // the kernel does not report it (before 5.16)
	if s.VerifiedInsns > 0 {
		m["verified insns"] = strconv.FormatUint(uint64(s.VerifiedInsns), 10)
	}
	return m
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
