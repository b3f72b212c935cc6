# gabor — build, test, demo. `make help` lists the targets.
#
# The CPU build needs only Go (no cgo). The GPU targets (gpu, kernels, gpu-bundle,
# gpu-vet) live in mk/gpu.mk; the GPU build needs CUDA headers (scripts/install-cuda.sh).

GO       ?= go
BIN      ?= bin/gabor
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# The whole suite runs in a few minutes on 2 cores; the timeout only stops a hang.
TEST_TIMEOUT ?= 20m
# CUDA headers for vetting the gpu tag (scripts/install-cuda.sh headers puts them here).
CUDA_PREFIX ?= /opt/cuda
export CUDA_PREFIX
# make fuzz: how long each fuzz target runs (make test always gives each 10s).
FUZZTIME ?= 1m

# The demo: lenet on the default data (Fashion-MNIST when installed, else the synthetic
# digits), then its filter figures (PNG at 300 DPI, SVG, PDF) in $(DEMO_OUT)/figures;
# about half a minute on 2 cores.
DEMO_EPOCHS ?= 3
DEMO_LIMIT  ?= 0
DEMO_OUT    ?= runs/demo

.PHONY: all build test test-gpu-vet vet lint fuzz demo bench clean help

all: build

help:
	@echo "make build   build $(BIN) (CPU backend, no cgo)"
	@echo "make test    set-up (scripts/setup-test.sh), go vet, go test ./..., gpu-tag vet, 10 s per fuzz target (what CI runs)"
	@echo "make fuzz    every fuzz target for FUZZTIME (default $(FUZZTIME)), keeping the corpus in testdata/fuzz"
	@echo "make demo    build, train lenet briefly on the default data into $(DEMO_OUT), draw its filters"
	@echo "make lint    gofmt check + go vet"
	@echo "make bench   CPU benchmarks (see bench/RESULTS.md)"
	@echo "make gpu     build bin/gabor with the CUDA backend (tag gpu; needs CUDA headers, see README)"

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gabor

vet:
	$(GO) vet ./...

# test is what CI runs (.ci/run), phase by phase with each phase's time:
#   setup    scripts/setup-test.sh: Fashion-MNIST, numpy, poppler, Slurm, chromium, qemu,
#            CUDA headers (installs as root with apt, else stops with the exact command)
#   vet      go vet ./...
#   go-test  go test ./...
#   gpu-vet  vet, build and `go test -c` the gpu tag (no GPU needed; needs the headers)
#   cross    the CPU build for linux/arm64, darwin/arm64, windows/amd64 (scripts/cross-vet.sh),
#            and the arm64 kernel tests (neon and generic paths) under qemu
#   fuzz     every fuzz target for 10 s (scripts/fuzz.sh)
phase = s=$$(date +%s); echo "=== make test: $(1)"; $(2) || exit $$?; echo "=== make test: $(1) done in $$(( $$(date +%s) - s ))s"

test:
	@t0=$$(date +%s); \
	$(call phase,setup,scripts/setup-test.sh); \
	$(call phase,vet,$(GO) vet ./...); \
	$(call phase,go-test,$(GO) test -timeout $(TEST_TIMEOUT) ./...); \
	$(call phase,gpu-vet,$(MAKE) --no-print-directory test-gpu-vet); \
	$(call phase,cross,scripts/cross-vet.sh); \
	$(call phase,fuzz,FUZZTIME=10s GO=$(GO) scripts/fuzz.sh); \
	echo "=== make test: all phases passed in $$(( $$(date +%s) - t0 ))s"

test-gpu-vet:
	@if [ ! -f $(CUDA_PREFIX)/include/cuda.h ]; then \
		echo "make test: no CUDA headers in $(CUDA_PREFIX) (scripts/install-cuda.sh headers)"; exit 1; \
	fi
	@$(MAKE) --no-print-directory gpu-vet

# fuzz runs every fuzz target for FUZZTIME and keeps what it found in each
# package's testdata/fuzz (replayed by every go test; commit it).
fuzz:
	FUZZ_SAVE=1 FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt -l: these files need formatting:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo: build
	rm -rf $(DEMO_OUT)
	$(BIN) train --model lenet --epochs $(DEMO_EPOCHS) --limit $(DEMO_LIMIT) --out $(DEMO_OUT)
	$(BIN) filters $(DEMO_OUT) --format png,svg,pdf --labels --colorbar
	@echo "demo: run dir $(DEMO_OUT):"; ls -l $(DEMO_OUT)

# Benchmarks of the CPU kernels and training steps; results are recorded by hand in
# bench/RESULTS.md (format described there).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./kernels/... ./graph/... ./train/...

clean:
	rm -rf bin

-include mk/gpu.mk
