// Package kernelbtf shares the running kernel's decoded BTF within a
// process. cilium/ebpf decodes /sys/kernel/btf/vmlinux again for every
// collection load unless the loads share a btf.Cache; that costs ~40 ms
// natively and ~1 s under TCG, and a scenario process loads dozens of
// collections. The kernel's BTF cannot change while a process runs, so
// one cache per process is safe: it is the only process-wide state here.
package kernelbtf

import "github.com/cilium/ebpf/btf"

var shared = btf.NewCache()

// Cache returns the process-wide cache for ebpf.CollectionOptions.Cache.
func Cache() *btf.Cache { return shared }
