// Package ci holds checks of the GitHub Actions workflow that runs the kernel
// matrix: it must lint clean and take its kernel list from kernels/manifest,
// so there is no second list to drift.
package ci
