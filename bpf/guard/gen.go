package guard

// The object is committed; go generate rebuilds it (bpf/generate_test.go
// checks that the committed files match the sources).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type guard_event -type guard_exe_key -type guard_exe_val -type guard_object_key -type guard_inode_key -type guard_hook -type guard_verdict -type guard_reason -type guard_op -type guard_object_kind guard guard.bpf.c -- -I../include
//go:generate go run ../../cmd/bpflab sign guard_bpfel.o guard_bpfeb.o
