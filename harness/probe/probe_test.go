package probe

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		err  bool
	}{
		{"6.1.0-56-amd64", Version{6, 1, 0}, false},
		{"6.18.44-fc-v782", Version{6, 18, 44}, false},
		{"5.10.262", Version{5, 10, 262}, false},
		{"7.2-rc1", Version{7, 2, 0}, false},
		{"6.12.118+deb13-amd64", Version{6, 12, 118}, false},
		{"garbage", Version{}, true},
		{"6", Version{}, true},
	} {
		got, err := ParseVersion(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	assert.True(t, Version{5, 10, 0}.Less(Version{5, 14, 0}))
	assert.False(t, Version{6, 9, 0}.Less(Version{6, 9, 0}))
	assert.Equal(t, "5.8", Version{5, 8, 0}.String())
}

func TestCheck(t *testing.T) {
	res := func(f Feature, s Status, detail string) Result {
		return Result{Feature: f, Name: f.String(), Min: f.MinVersion().String(), Status: s, Detail: detail}
	}
	results := []Result{
		res(RingBuf, Unsupported, "no"),                        // 6.1 >= 5.8: unexplained
		res(Token, Unsupported, "EINVAL"),                      // 6.1 < 6.9: fine
		res(BPFLoop, Supported, "yes"),                         // 6.1 >= 5.17: fine
		res(KernelSignatures, Supported, "backported"),         // 6.1 < 6.18: backport note
		res(XDPLink, Unknown, "EPERM"),                         // unknown: not compared
		res(LPMBatchOps, Unsupported, "no documented minimum"), // not compared
	}
	ds := Check(results, Version{6, 1, 0})
	require.Len(t, ds, 2)
	assert.Equal(t, RingBuf, ds[0].Feature)
	assert.True(t, ds[0].Unexplained())
	assert.Contains(t, ds[0].String(), "ring buffer: not supported on 6.1 although it needs only 5.8")
	assert.Equal(t, KernelSignatures, ds[1].Feature)
	assert.True(t, ds[1].Backport)
	assert.False(t, ds[1].Unexplained())

	sig := Check([]Result{res(KernelSignatures, Unsupported, "answered EOPNOTSUPP")}, Version{6, 18, 0})
	require.Len(t, sig, 1)
	assert.NotEmpty(t, sig[0].Explanation, "EOPNOTSUPP is a kernel build without signature checks")
}

func TestEveryFeatureDocumented(t *testing.T) {
	for _, f := range All() {
		assert.NotContains(t, f.String(), "Feature(", "feature %d has no name", int(f))
		if f != LPMBatchOps {
			assert.False(t, f.MinVersion().IsZero(), "%s has no documented minimum version", f)
		}
	}
}

func TestSkipDecision(t *testing.T) {
	rb := Result{Feature: RingBuf, Name: RingBuf.String(), Min: "5.8", Status: Unsupported, Detail: "map type not supported"}
	skip, msg := skipDecision(rb, Version{5, 4, 0}, "5.4.0-42-generic")
	assert.True(t, skip)
	assert.Equal(t, "ring buffer: not supported (needs 5.8, kernel 5.4.0-42-generic): map type not supported", msg)

	skip, msg = skipDecision(rb, Version{6, 1, 0}, "6.1.0-56-amd64")
	assert.False(t, skip, "missing on a kernel newer than the minimum must fail, not skip")
	assert.Contains(t, msg, "probe disagrees with its documented minimum")

	skip, msg = skipDecision(Result{Feature: XDPLink, Name: "BPF link for XDP", Status: Unknown, Detail: "EPERM"}, Version{6, 1, 0}, "6.1.0")
	assert.False(t, skip, "an inconclusive probe must fail, not skip")
	assert.Contains(t, msg, "could not tell: EPERM")

	sig := Result{Feature: KernelSignatures, Name: "kernel BPF signature verification", Min: "6.18", Status: Unsupported, Detail: "answered EOPNOTSUPP"}
	skip, msg = skipDecision(sig, Version{6, 18, 44}, "6.18.44")
	assert.True(t, skip, "an explained absence skips")
	assert.Contains(t, msg, "needs 6.18, kernel 6.18.44")
}

func TestFallbackMessage(t *testing.T) {
	r := Result{Feature: RingBuf, Name: "ring buffer", Status: Supported, Detail: "probe succeeded"}
	assert.Equal(t, "execve tracker transport fell back although ring buffer is supported (probe succeeded): the fallback hides the feature this test checks",
		fallbackMessage(r, "execve tracker transport"))
}

func TestToolDecision(t *testing.T) {
	notFound := errors.New(`exec: "bpftool": executable file not found in $PATH`)
	for _, tc := range []struct {
		name     string
		err      error
		carried  string
		skip     bool
		contains string
	}{
		{"installed", nil, "", false, "installed"},
		{"missing, not carried: skip", notFound, "", true, "did not carry it"},
		{"missing, other tool carried: skip", notFound, "tc", true, "did not carry it"},
		{"missing although carried: fail", notFound, "ip,bpftool", false, "carried it into this kernel"},
		{"prefix is not a match", notFound, "bpftool2", true, "did not carry it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, msg := toolDecision("bpftool", tc.err, tc.carried)
			assert.Equal(t, tc.skip, skip)
			assert.Contains(t, msg, tc.contains)
		})
	}
	assert.Equal(t, "BPFLAB_TOOLS=bpftool,ip", ToolsEnv([]string{"/usr/sbin/bpftool", "/sbin/ip"}))
	assert.Equal(t, "BPFLAB_TOOLS=", ToolsEnv(nil))
	left := "nft: gone;bpftool: a host binary for another architecture than the kernel's arm64"
	assert.Equal(t, "a host binary for another architecture than the kernel's arm64", leftReason("bpftool", left))
	assert.Empty(t, leftReason("ip", left))
	assert.Empty(t, leftReason("bpftool", ""))
}

// fakeTB records how a helper ended the test; Fatal and Skip stop the
// helper as the testing package would (runtime.Goexit is replaced by a
// panic the caller recovers).
type fakeTB struct {
	testing.TB
	fatal, skip string
}

type stopped struct{}

func (f *fakeTB) Helper()                      {}
func (f *fakeTB) Fatal(args ...any)            { f.fatal = fmt.Sprint(args...); panic(stopped{}) }
func (f *fakeTB) Fatalf(s string, args ...any) { f.fatal = fmt.Sprintf(s, args...); panic(stopped{}) }
func (f *fakeTB) Skip(args ...any)             { f.skip = fmt.Sprint(args...); panic(stopped{}) }

func runFake(fn func(tb testing.TB)) (tb *fakeTB) {
	tb = &fakeTB{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	fn(tb)
	return tb
}

// TestSkipFallbackFailsWhereSupported: a test whose code fell back from
// the ring buffer fails on a kernel that has one (the host, >= 5.8),
// where it used to skip.
func TestSkipFallbackFailsWhereSupported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("probing the ring buffer creates a BPF map: needs root")
	}
	require.Equal(t, Supported, New().Probe(RingBuf).Status, "the host kernel must have a ring buffer")
	tb := runFake(func(tb testing.TB) { SkipFallback(tb, RingBuf, false, "tracker transport") })
	assert.Empty(t, tb.skip)
	assert.Contains(t, tb.fatal, "tracker transport fell back although ring buffer is supported")

	tb = runFake(func(tb testing.TB) { SkipFallback(tb, RingBuf, true, "tracker transport") })
	assert.Empty(t, tb.fatal+tb.skip, "a test that used the feature goes on")
}
