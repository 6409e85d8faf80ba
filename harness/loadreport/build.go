package loadreport

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/bpflab/bpflab/internal/kernelbtf"
	"github.com/bpflab/bpflab/internal/objsign"
	"github.com/bpflab/bpflab/internal/uname"
)

// Object is one BPF object to report on.
type Object struct {
	Name   string
	Object objsign.Object
	// Prepare adapts the spec to the running kernel the way the object's
	// real loader does (optional).
	Prepare func(*ebpf.CollectionSpec) error
}

// Build loads every program of every object on the running kernel, one
// program at a time, and reports what happened. Failures of single
// programs are part of the report, not errors; an error means the report
// could not be made (no kernel BTF, for example).
func Build(objs []Object) (Report, error) {
	kernel, err := btf.LoadKernelSpec()
	if err != nil {
		return Report{}, fmt.Errorf("load report: kernel BTF: %w", err)
	}
	r := Report{Kernel: uname.ReleaseOr("unknown")}
	for _, o := range objs {
		r.Objects = append(r.Objects, buildObject(o, kernel))
	}
	return r, nil
}

func buildObject(o Object, kernel *btf.Spec) ObjectReport {
	or := ObjectReport{Name: o.Name}
	spec, _, err := objsign.LoadSpec(o.Object, nil)
	if err != nil {
		or.Error = err.Error()
		return or
	}
	if o.Prepare != nil {
		if err := o.Prepare(spec); err != nil {
			or.Error = fmt.Sprintf("prepare %s: %v", o.Name, err)
			return or
		}
	}
	names := make([]string, 0, len(spec.Programs))
	for n := range spec.Programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		or.Programs = append(or.Programs, buildProgram(spec, n, kernel))
	}
	return or
}

func buildProgram(spec *ebpf.CollectionSpec, name string, kernel *btf.Spec) ProgramReport {
	ps := spec.Programs[name]
	pr := ProgramReport{Name: name, Type: ps.Type.String(), Section: ps.SectionName, OffendingLine: -1}
	relos, err := relocations(ps, spec, kernel)
	if err != nil {
		pr.Error = err.Error()
	}
	pr.Relocations = relos

	// Load this program alone (with the maps the collection defines) so
	// one failing program does not hide the others' statistics.
	one := spec.Copy()
	for n := range one.Programs {
		if n != name {
			delete(one.Programs, n)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{
		Cache:    kernelbtf.Cache(),
		Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelStats},
	})
	if err != nil {
		recordFailure(&pr, one, name, err)
		return pr
	}
	defer coll.Close()
	prog := coll.Programs[name]
	pr.Loaded = true
	pr.Stats = ParseStats(prog.VerifierLog)
	if info, err := prog.Info(); err == nil {
		if n, ok := info.VerifiedInstructions(); ok {
			pr.Stats.VerifiedInsns = n
		}
	}
	return pr
}

// recordFailure keeps the error and the full verifier log. A log made at
// the stats level has no instructions, so the program is loaded once more
// with the instruction-level log to find the offending instruction.
func recordFailure(pr *ProgramReport, spec *ebpf.CollectionSpec, name string, err error) {
	pr.Error = err.Error()
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) {
		return
	}
	log := ve.Log
	if _, ok := Offending(log); !ok {
		_, err2 := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
			Cache:    kernelbtf.Cache(),
			Programs: ebpf.ProgramOptions{LogLevel: ebpf.LogLevelBranch | ebpf.LogLevelStats},
		})
		var ve2 *ebpf.VerifierError
		if errors.As(err2, &ve2) {
			log = ve2.Log
		}
	}
	pr.VerifierLog = log
	if i, ok := Offending(log); ok {
		pr.Offending, pr.OffendingLine = log[i], i
		// The verifier's reason follows the offending instruction.
		if i+1 < len(log) {
			pr.Error = fmt.Sprintf("verifier rejected %s (%v): %s", name, ve.Cause, log[i+1])
		}
	}
	if st := parseStatsLines(log); st.Raw != "" {
		pr.Stats = st
	}
}
