module example.com/extmod

go 1.26.0

require (
	github.com/bpflab/bpflab v0.0.0
	github.com/cilium/ebpf v0.22.0
	github.com/stretchr/testify v1.12.1
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/bpflab/bpflab => ../../../..
