// Package report holds the kernel matrix's result model and turns it into
// what people and CI read: an aligned kernel x test table for the terminal
// (with skip reasons and a repro command per failure), JSON and JUnit XML.
// It also parses the `-test.v` output of a Go test binary into tests.
package report
