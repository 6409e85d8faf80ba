package loadreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/bpflab/bpflab/harness/artifacts"
)

// Report is the load report of a set of objects on one kernel.
type Report struct {
	Kernel  string         `json:"kernel"` // uname release
	Objects []ObjectReport `json:"objects"`
}

// ObjectReport covers one BPF object file.
type ObjectReport struct {
	Name     string          `json:"name"`
	Error    string          `json:"error,omitempty"` // object could not be parsed or verified
	Programs []ProgramReport `json:"programs"`
}

// ProgramReport covers one program of an object.
type ProgramReport struct {
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Section     string         `json:"section"`
	Loaded      bool           `json:"loaded"`
	Relocations []Relocation   `json:"relocations"`
	Stats       *VerifierStats `json:"stats,omitempty"`
	Error       string         `json:"error,omitempty"`
	// VerifierLog is the full log of a failed load, one line per entry.
	VerifierLog []string `json:"verifier_log,omitempty"`
	// Offending is the last instruction the verifier looked at before it
	// gave up, and OffendingLine its index in VerifierLog (-1: none).
	Offending     string `json:"offending,omitempty"`
	OffendingLine int    `json:"offending_line,omitempty"`
}

// Relocation is one CO-RE relocation and its resolution on this kernel.
type Relocation struct {
	Insn    int    `json:"insn"`    // instruction index in the program
	Kind    string `json:"kind"`    // byte_off, field_exists, type_size, ...
	Type    string `json:"type"`    // local type name, flavour suffix included
	Access  string `json:"access"`  // e.g. "task_struct___new.__state", "task_struct___old.state"
	Local   string `json:"local"`   // value compiled into the object
	Target  string `json:"target"`  // value for this kernel, or "missing"
	Missing bool   `json:"missing"` // the kernel has no such field/type/value
}

// VerifierStats are the verifier's counters for a successful load.
type VerifierStats struct {
	// From the verifier log (log level stats), -1 if absent.
	InsnsProcessed   int `json:"insns_processed"`
	MaxStatesPerInsn int `json:"max_states_per_insn"`
	TotalStates      int `json:"total_states"`
	PeakStates       int `json:"peak_states"`
	MarkRead         int `json:"mark_read"`
	// From BPF_OBJ_GET_INFO_BY_FD (5.16+), 0 if the kernel does not say.
	VerifiedInsns uint32 `json:"verified_insns,omitempty"`
	// Raw is the stats line as the kernel printed it.
	Raw string `json:"raw"`
}

// Program returns the report of program prog in object obj.
func (r Report) Program(obj, prog string) (ProgramReport, bool) {
	for _, o := range r.Objects {
		if o.Name != obj {
			continue
		}
		for _, p := range o.Programs {
			if p.Name == prog {
				return p, true
			}
		}
	}
	return ProgramReport{}, false
}

// Relocation returns the first relocation of kind on access, e.g.
// ("field_exists", "task_struct___new.__state").
func (p ProgramReport) Relocation(kind, access string) (Relocation, bool) {
	for _, r := range p.Relocations {
		if r.Kind == kind && r.Access == access {
			return r, true
		}
	}
	return Relocation{}, false
}

// Summary is one line: kernel, programs loaded and failed, relocations
// and how many are missing on this kernel.
func (r Report) Summary() string {
	var progs, failed, relos, missing int
	var failedNames []string
	for _, o := range r.Objects {
		if o.Error != "" {
			failedNames = append(failedNames, o.Name)
		}
		for _, p := range o.Programs {
			progs++
			relos += len(p.Relocations)
			for _, rl := range p.Relocations {
				if rl.Missing {
					missing++
				}
			}
			if !p.Loaded {
				failed++
				failedNames = append(failedNames, o.Name+"/"+p.Name)
			}
		}
	}
	s := fmt.Sprintf("load report %s: %d objects, %d programs, %d loaded, %d failed; %d CO-RE relocations, %d missing on this kernel",
		r.Kernel, len(r.Objects), progs, progs-failed, failed, relos, missing)
	if len(failedNames) > 0 {
		s += " (failed: " + strings.Join(failedNames, ", ") + ")"
	}
	return s
}

// Text renders the report for people: per program its relocations, its
// verifier statistics, and for failures the log with the offending
// instruction marked ">>>".
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.Summary())
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "object %s\n", o.Name)
		if o.Error != "" {
			fmt.Fprintf(&b, "  error: %s\n", o.Error)
		}
		for _, p := range o.Programs {
			status := "loaded"
			if !p.Loaded {
				status = "FAILED"
			}
			fmt.Fprintf(&b, "  program %s (%s, %s): %s\n", p.Name, p.Type, p.Section, status)
			for _, rl := range p.Relocations {
				local := rl.Local
				if local == "" {
					local = "-" // poisoned: the loader reports no local value
				}
				fmt.Fprintf(&b, "    insn %4d %-13s %-32s %s -> %s\n", rl.Insn, rl.Kind, rl.Access, local, rl.Target)
			}
			if p.Stats != nil {
				fmt.Fprintf(&b, "    verifier: %d insns processed, %d states (peak %d)", p.Stats.InsnsProcessed, p.Stats.TotalStates, p.Stats.PeakStates)
				if p.Stats.VerifiedInsns > 0 {
					fmt.Fprintf(&b, ", %d verified insns", p.Stats.VerifiedInsns)
				}
				b.WriteString("\n")
			}
			if p.Error != "" {
				fmt.Fprintf(&b, "    error: %s\n", p.Error)
				b.WriteString(p.MarkedLog("    | "))
			}
		}
	}
	return b.String()
}

// MarkedLog returns the verifier log with prefix on every line and the
// offending instruction marked ">>>".
func (p ProgramReport) MarkedLog(prefix string) string {
	var b strings.Builder
	for i, l := range p.VerifierLog {
		mark := "    "
		if i == p.OffendingLine && p.Offending != "" {
			mark = ">>> "
		}
		fmt.Fprintf(&b, "%s%s%s\n", prefix, mark, l)
	}
	return b.String()
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode load report: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return Report{}, fmt.Errorf("decode load report: %w", err)
	}
	return r, nil
}

// WriteArtifact writes the report as loadreport-<kernel>.json into the
// artifacts directory ($BPFLAB_ARTIFACTS, see harness/artifacts) and
// returns the path, or "" if the variable is unset.
func WriteArtifact(r Report) (string, error) {
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		return "", err
	}
	path, err := artifacts.Write("loadreport-"+artifacts.Name(r.Kernel)+".json", buf.Bytes())
	if err != nil {
		return "", fmt.Errorf("write load report: %w", err)
	}
	return path, nil
}
