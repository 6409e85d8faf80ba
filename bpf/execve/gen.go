package execve

// The object is committed; go generate rebuilds it (bpf/generate_test.go
// checks that the committed files match the sources).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type exec_event -type exec_flag -type exec_diag execve execve.bpf.c -- -I../include
//go:generate go run ../../cmd/bpflab sign execve_bpfel.o execve_bpfeb.o
