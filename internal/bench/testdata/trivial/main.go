// Command trivial is the binary `bpflab exec` runs in the benchmark: it
// does nothing but print a line, so the run measures the backend alone.
package main

import "fmt"

func main() { fmt.Println("trivial: ok") }
