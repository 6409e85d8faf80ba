package mutate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bpflab/bpflab/harness/report"
	"github.com/bpflab/bpflab/internal/objsign"
)

// Status of one mutant on one kernel.
type Status string

// Mutant outcomes.
const (
	Killed     Status = "killed"     // a test failed
	Verifier   Status = "verifier"   // the kernel refused to load it (a test saw the verifier's answer)
	Timeout    Status = "timeout"    // the tests hit the mutant's deadline
	Survived   Status = "survived"   // every test passed
	BuildFail  Status = "build"      // the C did not compile (not counted)
	Equivalent Status = "equivalent" // compiles to the same instructions (not counted)
	Errored    Status = "error"      // the tool could not tell (not counted)
)

// Detected reports whether the tests (or the kernel) caught the mutant.
func (s Status) Detected() bool { return s == Killed || s == Verifier || s == Timeout }

// Counted reports whether the mutant counts towards the score.
func (s Status) Counted() bool { return s.Detected() || s == Survived }

// HostKernel is the kernel name of a plain `go test` on this machine.
const HostKernel = "host"

// VMRunner runs test packages of a scratch module in one VM kernel and
// returns the tests it saw (cmd/bpflab wires internal/matrix into it).
type VMRunner func(ctx context.Context, root, kernel string, pkgs []string, run string, timeout time.Duration) ([]report.Test, error)

// Options configure a mutation run.
type Options struct {
	Root      string   // module root (go env GOMOD's directory)
	Dirs      []string // package directories holding bpf2go lines
	Packages  []string // test packages, as go test patterns relative to Root (e.g. ./scenarios/xdp)
	Kernels   []string // "host" and/or VM kernel names (default host)
	Run       string   // go test -run
	Only      []string // mutant IDs; empty = all
	Operators []string // operator names; empty = all
	Jobs      int      // mutants in parallel
	Timeout   time.Duration
	CC        string // compiler for bpf2go and the AST ("" = clang-19 or clang)
	WorkDir   string // scratch trees go here (kept); "" = a temp dir removed at the end
	Log       io.Writer
	VM        VMRunner // required when Kernels names a non-host kernel
	// Command is how the report's rerun lines start ("bpflab mutate").
	Command string
}

// Outcome is a mutant's result on one kernel.
type Outcome struct {
	Kernel   string   `json:"kernel"`
	Status   Status   `json:"status"`
	KilledBy []string `json:"killed_by,omitempty"` // package.Test
	Detail   string   `json:"detail,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// Result is one mutant and its outcomes.
type Result struct {
	Mutant
	Outcomes []Outcome `json:"outcomes"`
}

// Outcome returns the result on kernel (zero Outcome when absent).
func (r Result) Outcome(kernel string) Outcome {
	for _, o := range r.Outcomes {
		if o.Kernel == kernel {
			return o
		}
	}
	return Outcome{Kernel: kernel}
}

// Report is a whole mutation run.
type Report struct {
	Module   string    `json:"module"`
	Programs []string  `json:"programs"` // bpf2go identifiers
	Kernels  []string  `json:"kernels"`
	Packages []string  `json:"packages"`
	Run      string    `json:"run,omitempty"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	// BaselineFailures are tests that already failed without any mutant;
	// they are ignored when classifying.
	BaselineFailures []string `json:"baseline_failures,omitempty"`
	Results          []Result `json:"results"`
	Scores           []Score  `json:"scores"`
	Command          string   `json:"command"`
	Dirs             []string `json:"dirs"`
}

func (o *Options) defaults() {
	if len(o.Kernels) == 0 {
		o.Kernels = []string{HostKernel}
	}
	if o.Jobs < 1 {
		o.Jobs = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Command == "" {
		o.Command = "bpflab mutate"
	}
}

// List returns the programs and mutants the options select, without
// building anything.
func List(ctx context.Context, o Options) ([]Program, []Mutant, error) {
	o.defaults()
	cc := o.cc()
	var progs []Program
	var muts []Mutant
	for _, d := range o.Dirs {
		ps, err := FindPrograms(o.Root, d)
		if err != nil {
			return nil, nil, &InputError{err}
		}
		for _, p := range ps {
			ms, err := p.Mutants(ctx, cc, o.Root)
			if err != nil {
				return nil, nil, err
			}
			progs = append(progs, p)
			muts = append(muts, ms...)
		}
	}
	muts, err := selectMutants(muts, o.Only, o.Operators)
	return progs, muts, err
}

// UnknownError is a bad --only or --operators value.
type UnknownError struct{ What, Name, Known string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown %s %q; known: %s", e.What, e.Name, e.Known)
}

// InputError is a directory that cannot be mutated (no bpf2go line, a
// missing source, outside the module): the user's input, not a failure.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func selectMutants(muts []Mutant, only, ops []string) ([]Mutant, error) {
	for _, op := range ops {
		if !contains(Operators, op) {
			return nil, &UnknownError{"operator", op, strings.Join(Operators, ", ")}
		}
	}
	ids := map[string]bool{}
	for _, m := range muts {
		ids[m.ID] = true
	}
	for _, id := range only {
		if !ids[id] {
			return nil, &UnknownError{"mutant", id, "the IDs that `--list` prints (they change when the source changes)"}
		}
	}
	var out []Mutant
	for _, m := range muts {
		if (len(only) == 0 || contains(only, m.ID)) && (len(ops) == 0 || contains(ops, m.Operator)) {
			out = append(out, m)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func (o *Options) cc() string {
	if o.CC != "" {
		return o.CC
	}
	return defaultCC()
}

// Run executes the mutation run and returns its report. Errors are for
// problems before any mutant ran (bad input, a baseline that does not
// build); each mutant's fate is in the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	started := time.Now()
	for _, k := range o.Kernels {
		if k != HostKernel && o.VM == nil {
			return nil, fmt.Errorf("kernel %q needs a VM runner", k)
		}
	}
	if len(o.Packages) == 0 {
		return nil, errors.New("no test packages: name them with --pkg")
	}
	progs, muts, err := List(ctx, o)
	if err != nil {
		return nil, err
	}
	rep := &Report{Module: o.Root, Kernels: o.Kernels, Packages: o.Packages, Run: o.Run, Started: started, Command: o.Command, Dirs: o.Dirs}
	for _, p := range progs {
		rep.Programs = append(rep.Programs, p.Ident())
	}
	work := o.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "bpflab-mutate-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}

	// A key for this run only: the release key never leaves its owner.
	key, err := objsign.GenerateKey("bpflab mutate (throwaway)")
	if err != nil {
		return nil, err
	}
	// The baseline: the module as it is, rebuilt and signed the same way.
	base := filepath.Join(work, "baseline")
	fmt.Fprintf(o.Log, "mutate: %d mutants of %d programs; baseline in %s\n", len(muts), len(progs), base)
	env, baseObjs, err := prepare(ctx, o, base, progs, &key, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	baseFails := map[string]map[string]bool{}
	for _, k := range o.Kernels {
		tests, err := o.runTests(ctx, base, k, env)
		if err != nil {
			return nil, fmt.Errorf("baseline tests on %s: %w", k, err)
		}
		baseFails[k] = map[string]bool{}
		for _, t := range tests {
			if t.Status == report.Fail {
				baseFails[k][t.Package+"."+t.Name] = true
				rep.BaselineFailures = append(rep.BaselineFailures, k+": "+t.Package+"."+t.Name+": "+t.Reason)
			}
		}
		passed := 0
		for _, t := range tests {
			if t.Status == report.Pass {
				passed++
			}
		}
		if passed == 0 {
			// Nothing could kill a mutant: e.g. not root, or no tests.
			return nil, fmt.Errorf("baseline on %s: no test of %s passes without mutants (%d failed%s); fix that first (the host kernel needs root)",
				k, strings.Join(o.Packages, " "), len(baseFails[k]), firstFailure(tests))
		}
	}
	for _, f := range rep.BaselineFailures {
		fmt.Fprintf(o.Log, "mutate: WARNING: fails without any mutant (ignored): %s\n", f)
	}

	rep.Results = make([]Result, len(muts))
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, m := range muts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := o.runMutant(ctx, work, base, progs, m, &key, baseObjs, baseFails)
			mu.Lock()
			rep.Results[i] = r
			done++
			fmt.Fprintf(o.Log, "mutate: [%d/%d] %s %s:%d %s: %s\n", done, len(muts), m.ID, m.File, m.Line, m.Operator, summary(r))
			mu.Unlock()
		}()
	}
	wg.Wait()
	rep.Scores = scores(rep)
	rep.Seconds = time.Since(started).Seconds()
	return rep, ctx.Err()
}

func summary(r Result) string {
	var parts []string
	for _, o := range r.Outcomes {
		s := o.Kernel + "=" + string(o.Status)
		if len(o.KilledBy) > 0 {
			s += " (" + o.KilledBy[0] + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// prepare makes a scratch module at dir: a copy of the module (or of
// from, already prepared), the mutant applied, the programs rebuilt and
// signed with key, and only key trusted. It returns the environment for
// host test runs and the rebuilt objects by program.
func prepare(ctx context.Context, o Options, dir string, progs []Program, key *objsign.PrivateKey, m *Mutant, from *string) ([]string, map[string][]string, error) {
	src := o.Root
	if from != nil {
		src = *from
	}
	if err := copyTree(src, dir); err != nil {
		return nil, nil, fmt.Errorf("copy module to %s: %w", dir, err)
	}
	env, err := trustOnly(dir, key.Public())
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		// Every signed object of the copy, not only the mutated programs',
		// must verify against the only key it trusts now.
		if err := resignAll(dir, *key); err != nil {
			return nil, nil, err
		}
	}
	objs := map[string][]string{}
	for _, p := range progs {
		if m != nil && p.Source != m.File {
			continue // unchanged: the prepared copy already has its objects
		}
		if m != nil {
			path := filepath.Join(dir, filepath.FromSlash(m.File))
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, nil, err
			}
			mutated, err := m.Apply(data)
			if err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(path, mutated, 0o644); err != nil {
				return nil, nil, err
			}
		}
		built, err := rebuild(ctx, dir, p, o.cc(), key)
		if err != nil {
			return nil, nil, err
		}
		objs[p.Ident()] = built
	}
	return env, objs, nil
}

func (o *Options) runTests(ctx context.Context, root, kernel string, env []string) ([]report.Test, error) {
	if kernel == HostKernel {
		return hostRun(ctx, root, o.Packages, o.Run, o.Timeout, env)
	}
	return o.VM(ctx, root, kernel, o.Packages, o.Run, o.Timeout)
}

func (o *Options) runMutant(ctx context.Context, work, base string, progs []Program, m Mutant, key *objsign.PrivateKey, baseObjs map[string][]string, baseFails map[string]map[string]bool) Result {
	r := Result{Mutant: m}
	all := func(st Status, detail string) Result {
		for _, k := range o.Kernels {
			r.Outcomes = append(r.Outcomes, Outcome{Kernel: k, Status: st, Detail: detail})
		}
		return r
	}
	dir := filepath.Join(work, m.ID)
	defer func() {
		if o.WorkDir == "" {
			os.RemoveAll(dir)
		}
	}()
	env, objs, err := prepare(ctx, *o, dir, progs, key, &m, &base)
	var be *BuildError
	switch {
	case errors.As(err, &be):
		return all(BuildFail, clangError(be.Output))
	case err != nil:
		return all(Errored, err.Error())
	}
	if same, err := sameObjects(baseObjs[m.Program], objs[m.Program]); err == nil && same {
		return all(Equivalent, "compiles to the same instructions as the original")
	}
	for _, k := range o.Kernels {
		start := time.Now()
		tests, err := o.runTests(ctx, dir, k, env)
		out := classify(tests, err, baseFails[k])
		out.Kernel, out.Seconds = k, time.Since(start).Seconds()
		r.Outcomes = append(r.Outcomes, out)
	}
	return r
}

func sameObjects(a, b []string) (bool, error) {
	if len(a) == 0 || len(a) != len(b) {
		return false, nil
	}
	sort.Strings(a)
	sort.Strings(b)
	for i := range a {
		if filepath.Base(a[i]) != filepath.Base(b[i]) {
			return false, nil
		}
		same, err := sameCode(a[i], b[i])
		if err != nil || !same {
			return false, err
		}
	}
	return true, nil
}
