// Package host is the vm.Backend that runs scenario binaries directly on the
// kernel bpflab itself runs on (as root): no boot, so it is the fastest
// column of the matrix and the one developers iterate with.
package host
