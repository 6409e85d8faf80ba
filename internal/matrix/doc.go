// Package matrix is `bpflab matrix`: it runs every scenario package on every
// kernel of the manifest and merges the results into one report.Matrix.
// The data flow reads top to bottom in Run: read the manifest -> build the
// scenario test binaries and the guest runner once -> per kernel (up to Jobs
// at a time): fetch it, pick a backend, run the job under a deadline, parse
// the binaries' output -> report. A kernel that hangs or panics is a failure
// of that kernel (phase and console tail); the others still run.
package matrix
