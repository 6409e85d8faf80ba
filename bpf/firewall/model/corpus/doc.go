// Package corpus generates the frames the firewall is judged on: template
// frames of every shape the policy distinguishes, every truncation of them,
// frames from the edges of every blocked prefix, and seeded random
// mutations. Unit tests, the scenarios in every kernel, the host fuzzer and
// `bpflab replay --expect` share it, so a frame that found a bug once can be
// regenerated anywhere from its name or seed.
//
// Frames carry documentation addresses only (192.0.2.0/24, 198.51.100.0/24,
// 2001:db8::/32) unless a caller asks for an address outside them (prefix
// edges of short prefixes); Documentation tells which frames may go on a
// wire.
package corpus
