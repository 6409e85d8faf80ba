// Package kernels holds bpflab's default kernel matrix: the manifest (one
// line per kernel) and its lock file. They are embedded in the bpflab
// binary, so `bpflab matrix`, `bpflab check` and `bpflab exec` know the
// default kernels in any directory; a project overrides them with its own
// kernels/manifest (lock file next to it) or --manifest. These two files
// are the only copy: edit them here.
package kernels

import _ "embed"

// Manifest is the text of kernels/manifest.
//
//go:embed manifest
var Manifest []byte

// Lock is the text of kernels/lock.json.
//
//go:embed lock.json
var Lock []byte
