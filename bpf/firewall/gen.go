package firewall

// The object is committed; go generate rebuilds it (bpf/generate_test.go
// checks that the committed files match the sources).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target bpfel,bpfeb -type fw_lpm_v4 -type fw_lpm_v6 -type fw_host_v4 -type fw_host_v6 -type fw_stat firewall firewall.bpf.c -- -I../include
//go:generate go run ../../cmd/bpflab sign firewall_bpfel.o firewall_bpfeb.o
