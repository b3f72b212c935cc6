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

# The demo: lenet on the default data (Fashion-MNIST when installed, else the synthetic
# digits), sized to finish in about two minutes on 2 cores.
DEMO_EPOCHS ?= 3
DEMO_LIMIT  ?= 0
DEMO_OUT    ?= runs/demo

.PHONY: all build test vet lint demo bench clean help

all: build

help:
	@echo "make build   build $(BIN) (CPU backend, no cgo)"
	@echo "make test    go vet + go test ./... (what CI runs; also vets the gpu tag when CUDA headers exist)"
	@echo "make demo    build, then train lenet briefly on the default data into $(DEMO_OUT)"
	@echo "make lint    gofmt check + go vet"
	@echo "make bench   CPU benchmarks (see bench/RESULTS.md)"
	@echo "make gpu     build bin/gabor with the CUDA backend (tag gpu; needs CUDA headers, see README)"

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gabor

vet:
	$(GO) vet ./...

# test is what CI runs (.ci/run). The gpu-tagged code is compiled and vetted when the
# CUDA headers are present; its tests run only on a machine with a GPU (see README).
test: vet
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	scripts/cross-vet.sh
	@if [ ! -f $(CUDA_PREFIX)/include/cuda.h ]; then \
		echo "make test: no CUDA headers in $(CUDA_PREFIX) (scripts/install-cuda.sh headers): gpu tag not vetted"; \
	elif [ ! -f mk/gpu.mk ] || [ ! -f scripts/gpu-vet.sh ]; then \
		echo "make test: mk/gpu.mk or scripts/gpu-vet.sh missing: gpu tag not vetted"; \
	else \
		$(MAKE) --no-print-directory gpu-vet; \
	fi

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
