package core

// The object is committed; go generate rebuilds it (bpf/generate_test.go
// checks that the committed files match the sources).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type core_result -type core_field core core.bpf.c -- -I../include
//go:generate go run ../../cmd/bpflab sign core_bpfel.o core_bpfeb.o
