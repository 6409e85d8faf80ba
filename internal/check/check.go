package check

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"
)

// Status of one map or program on one kernel.
type Status string

const (
	Attached Status = "attached" // loaded and attached (then detached)
	Loaded   Status = "loaded"   // loaded; attaching needs set-up the check does not make (Note says which)
	Created  Status = "created"  // a map was created
	Failed   Status = "failed"   // Code says why
)

// Result is the outcome for one map or program of an object on this kernel.
type Result struct {
	Object  string `json:"object"` // file name of the object
	Kind    string `json:"kind"`   // "map" or "prog"
	Name    string `json:"name"`
	Type    string `json:"type"`              // map or program type
	Section string `json:"section,omitempty"` // ELF section of a program
	Status  Status `json:"status"`
	Code    Code   `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Note says where a program was attached, or why it was not.
	Note string `json:"note,omitempty"`
	// LogTail is the end of the verifier log of a rejected program.
	LogTail []string `json:"log_tail,omitempty"`
}

// Test is the result's name in reports: "map/NAME" or "prog/NAME".
func (r Result) Test() string { return r.Kind + "/" + r.Name }

// logTailLines is how much of a verifier log a result keeps.
const logTailLines = 12

// File checks one object file on the running kernel.
func File(path string) []Result {
	obj := filepath.Base(path)
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		return []Result{{Object: obj, Kind: "object", Name: obj, Status: Failed, Code: InvalidObject, Message: err.Error()}}
	}
	return Spec(obj, spec)
}

// Spec checks a parsed collection: each map created alone, each program
// loaded alone with the maps it references, then attached if possible.
func Spec(obj string, spec *ebpf.CollectionSpec) []Result {
	// Before 5.11 BPF memory is charged to RLIMIT_MEMLOCK.
	_ = rlimit.RemoveMemlock()
	var out []Result
	mapErr := map[string]Result{}
	for _, name := range sortedKeys(spec.Maps) {
		ms := spec.Maps[name]
		r := Result{Object: obj, Kind: "map", Name: name, Type: ms.Type.String(), Status: Created}
		m, err := ebpf.NewMap(mapForCheck(ms))
		if err != nil {
			r.Status = Failed
			r.Code, r.Message = Classify(KindMap, err)
			if probe := features.HaveMapType(ms.Type); probe != nil && r.Code != MissingKernelBTF {
				r.Code, r.Message = UnsupportedMapType, fmt.Sprintf("%s (probe: %v)", r.Message, probe)
			}
			mapErr[name] = r
		} else {
			m.Close()
		}
		out = append(out, r)
	}
	for _, name := range sortedKeys(spec.Programs) {
		out = append(out, checkProgram(obj, spec, name, mapErr))
	}
	return out
}

func checkProgram(obj string, spec *ebpf.CollectionSpec, name string, mapErr map[string]Result) Result {
	ps := spec.Programs[name]
	r := Result{Object: obj, Kind: "prog", Name: name, Type: ps.Type.String(), Section: ps.SectionName, Status: Loaded}
	one := &ebpf.CollectionSpec{Maps: map[string]*ebpf.MapSpec{}, Programs: map[string]*ebpf.ProgramSpec{name: ps.Copy()},
		Types: spec.Types, Variables: nil}
	for _, ref := range mapRefs(ps.Instructions) {
		if bad, ok := mapErr[ref]; ok {
			r.Status, r.Code = Failed, bad.Code
			if bad.Code == LoadFailed || bad.Code == Permission {
				r.Code = MissingMap
			}
			r.Message = fmt.Sprintf("map %s: %s", ref, bad.Message)
			return r
		}
		if ms, ok := spec.Maps[ref]; ok {
			one.Maps[ref] = mapForCheck(ms)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{})
	if err != nil {
		r.Status = Failed
		r.Code, r.Message = Classify(KindProg, err)
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			r.LogTail = tail(ve.Log, logTailLines)
		}
		if r.Code == LoadFailed || r.Code == VerifierRejected && len(r.LogTail) == 0 {
			if probe := features.HaveProgramType(ps.Type); probe != nil {
				r.Code, r.Message = UnsupportedProgType, fmt.Sprintf("%s (probe: %v)", r.Message, probe)
			}
		}
		return r
	}
	defer coll.Close()
	note, err := attach(coll.Programs[name], ps)
	r.Note = note
	switch {
	case err != nil:
		r.Status = Failed
		r.Code, r.Message = Classify(KindAttach, err)
	case note != "" && !strings.HasPrefix(note, "not attached"):
		r.Status = Attached
	}
	return r
}

// mapForCheck copies a map spec so it can be created alone: no pinning
// (nothing may outlive the check), no program-array contents (the
// programs are not in the same collection).
func mapForCheck(ms *ebpf.MapSpec) *ebpf.MapSpec {
	c := ms.Copy()
	c.Pinning = ebpf.PinNone
	if c.Type == ebpf.ProgramArray {
		c.Contents = nil
	}
	return c
}

// mapRefs lists the maps a program's instructions reference.
func mapRefs(insns asm.Instructions) []string {
	seen := map[string]bool{}
	var refs []string
	for _, ins := range insns {
		if !ins.IsLoadFromMap() {
			continue
		}
		if ref := ins.Reference(); ref != "" && !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	return refs
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return append([]string(nil), lines...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
