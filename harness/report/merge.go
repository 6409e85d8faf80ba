package report

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ReadFile reads a matrix result written by WriteJSON.
func ReadFile(path string) (*Matrix, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var m Matrix
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("results %s: not a bpflab matrix JSON file: %w", path, err)
	}
	if m.Kernels == nil {
		return nil, fmt.Errorf("results %s: no \"kernels\" list: not a bpflab matrix JSON file", path)
	}
	return &m, nil
}

// DuplicateKernelError says two inputs of a merge both ran one kernel.
type DuplicateKernelError struct {
	Kernel string
	Inputs []string // the inputs that both have it
}

func (e *DuplicateKernelError) Error() string {
	return fmt.Sprintf("kernel %s appears in both %s: each kernel must come from one input (check the shards' --shard I/N)",
		e.Kernel, strings.Join(e.Inputs, " and "))
}

// Merge combines matrices that ran disjoint kernels (e.g. shards on N
// machines) into one, as if one run had run them all: kernels in the order
// of names if given (e.g. the manifest's), otherwise in input order. The
// start is the earliest start, the duration the longest input's (shards
// run side by side). labels name the inputs in errors.
func Merge(labels []string, ms []*Matrix, names []string) (*Matrix, error) {
	out := &Matrix{Kernels: []Kernel{}}
	from := map[string]string{}
	for i, m := range ms {
		if i == 0 || m.Started.Before(out.Started) {
			out.Started = m.Started
		}
		if m.Duration > out.Duration {
			out.Duration = m.Duration
		}
		if out.Backend == "" {
			out.Backend = m.Backend
		}
		if out.DefaultBackend == "" {
			out.DefaultBackend = m.DefaultBackend
		}
		if out.Tool == "" {
			out.Tool = m.Tool // bpflab check reports merge as check reports
		}
		for _, k := range m.Kernels {
			if prev, dup := from[k.Name]; dup {
				return nil, &DuplicateKernelError{Kernel: k.Name, Inputs: []string{prev, labels[i]}}
			}
			from[k.Name] = labels[i]
			out.Kernels = append(out.Kernels, k)
		}
	}
	if len(names) > 0 {
		pos := map[string]int{}
		for i, n := range names {
			pos[n] = i
		}
		rank := func(n string) int {
			if p, ok := pos[n]; ok {
				return p
			}
			return len(names) // unknown names keep input order, last
		}
		sort.SliceStable(out.Kernels, func(i, j int) bool { return rank(out.Kernels[i].Name) < rank(out.Kernels[j].Name) })
	}
	return out, nil
}

// FailedKernels names the kernels whose run or tests failed.
func (m *Matrix) FailedKernels() []string {
	var out []string
	for i := range m.Kernels {
		if m.Kernels[i].Failed() {
			out = append(out, m.Kernels[i].Name)
		}
	}
	return out
}
