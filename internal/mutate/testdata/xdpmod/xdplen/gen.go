// Package xdplen is a fixture for internal/mutate's own test: a small
// module that is not bpflab, with one bpf2go line and one test.
package xdplen

//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel xdplen xdplen.bpf.c
