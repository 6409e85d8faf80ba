// Package mutate is mutation testing for eBPF C programs: it plants one
// plausible bug at a time in a program's .bpf.c source (a flipped
// comparison, a swapped XDP action, a missing bpf_htons, a deleted bounds
// check, ...), rebuilds the object with the package's own bpf2go
// generate line in a scratch copy of the module, signs it with a
// throwaway key trusted only in that copy, runs the chosen Go test
// packages on the host or in VM kernels, and reports which mutants the
// tests let through.
//
// Where mutants come from: clang's JSON AST dump (the same flags, target
// and include paths as the bpf2go line), restricted to function bodies of
// the main .bpf.c file. The AST gives exact source offsets of operators,
// calls, member accesses, literals and statements, ignores comments and
// knows which tokens come from macro expansions; operators that are
// themselves macros (bpf_htons, TC_ACT_*) are found at their expansion
// point and their argument is matched with a small C tokenizer.
package mutate
