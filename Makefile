# bpflab: `make matrix` runs the main job, `make test` runs the tests.
# Both run scripts/setup first (instant after the first run).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/.cache/bin:$(PATH)
GO ?= go
OUT ?= out

.PHONY: setup generate build kernels lint unit matrix test bench fuzz clean

setup:
	@bash scripts/setup

generate: setup
	$(GO) generate ./bpf/... ./internal/fixtures/...

build: setup
	@mkdir -p $(OUT)
	CGO_ENABLED=0 $(GO) build -o $(OUT)/bpflab ./cmd/bpflab

lint: setup
	@fmt="$$(gofmt -l $$(git ls-files '*.go'))"; if [[ -n "$$fmt" ]]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# Unit tests and the scenarios on the host kernel (root).
unit: setup
	$(GO) test -count=1 -timeout 20m ./...

# Download, verify and unpack the kernels of kernels/lock.json into the cache
# (instant when cached), so tests that boot kernels find them.
kernels: build
	$(OUT)/bpflab kernels fetch

MATRIX_FLAGS ?= -j 2
matrix: build
	$(OUT)/bpflab matrix $(MATRIX_FLAGS) --json $(OUT)/matrix.json --junit $(OUT)/matrix.xml ./scenarios/...

# Everything: lint, unit tests and scenarios on the host kernel, then the
# scenarios in every kernel of the matrix.
test: lint kernels unit matrix

# Benchmarks: the host-side ones (e.g. bpf/firewall) 3 times each; then the
# backends per kernel once ($BPFLAB_BENCH_KERNELS, default 5.10,7.x; boots
# repeat $BPFLAB_BENCH_BOOTS times inside) with the ratios table, and the
# slow qemu-vs-vng verdict comparison (TestBackendsAgree); the guard's bpf()
# cost in a 6.12 VM (a kernel that loads BPF LSM programs); the bare-boot
# floor per architecture; last the per-kernel figures of internal/benchsuite
# as a matrix job (host + the same kernels).
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x $$($(GO) list ./... | grep -v /internal/bench)
	CGO_ENABLED=0 $(GO) test -count=1 -exec '$(CURDIR)/$(OUT)/bpflab exec --kernel 6.12' -run '^$$' -bench BenchmarkGuard -benchtime 1x ./scenarios/guard
	BPFLAB_SLOW=1 $(GO) test -count=1 -timeout 2h -run TestBackendsAgree -bench 'BenchmarkBackends' -benchtime 1x -v ./internal/bench
	$(GO) test -count=1 -timeout 1h -run '^$$' -bench BenchmarkArchFloor -benchtime 3x ./internal/bench
	$(OUT)/bpflab matrix --bench . --kernels host,$${BPFLAB_BENCH_KERNELS:-5.10,7.x} -j 1 --timeout 90m --binary-timeout 80m \
		--json $(OUT)/bench-matrix.json --bench-json $(OUT)/bench.json

# Coverage-guided fuzzing of the XDP firewall against its model on the host
# kernel (root), for a bounded time; a finding lands in
# scenarios/oracle/testdata/fuzz/FuzzFirewall: commit it as a corpus entry.
FUZZTIME ?= 30s
fuzz: setup
	$(GO) test -run '^$$' -fuzz '^FuzzFirewall$$' -fuzztime $(FUZZTIME) ./scenarios/oracle

clean:
	rm -rf $(OUT) .cache
