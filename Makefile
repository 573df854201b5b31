# lab: see README.md. `make run` runs the default scenario, `make test` the tests.
# The design is in docs/architecture.md, what lab emulates of AWS in
# docs/emulation.md, the blog experiments it reproduces in docs/experiments.md.
GO       ?= go
BIN      := bin/lab
SCENARIO ?= cpu-vertical
# Static binaries: portable, and lab can be its own workload program.
export CGO_ENABLED = 0
# What `lab version` says (else the Go build info's module version).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -X github.com/ecslab/lab/internal/buildinfo.version=$(VERSION) -X github.com/ecslab/lab/internal/buildinfo.commit=$(COMMIT)
# The workload program for each daemon architecture, beside lab: lab
# packages the one that matches the Docker daemon. Built as lab itself
# builds it when it has to (same flags, so the same bytes and image).
WORKLOADS := bin/lab-workload-linux-amd64 bin/lab-workload-linux-arm64

.PHONY: build run test bench lint clean experiments chaos cross dist $(WORKLOADS)

build: $(WORKLOADS)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lab

$(WORKLOADS): bin/lab-workload-linux-%:
	GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags='-s -w' -o $@ ./cmd/lab-workload

# Release archives in dist/: lab for linux, macOS and Windows (amd64 and
# arm64), each with both workload programs, and checksums.txt.
dist:
	VERSION=$(VERSION) LDFLAGS='$(LDFLAGS)' GO=$(GO) ./release/dist.sh

# lab built for every platform of the release archives (darwin/arm64,
# darwin/amd64, windows/amd64, linux/arm64), each checked by its header:
# minutes on a cold build cache, so `make test` only type-checks them.
cross:
	$(GO) test -tags cross -count=1 -v -timeout 20m ./release/

# The default scenario; headless when there is no terminal.
run: build
	./$(BIN) run $(SCENARIO)

# Unit and integration tests. Tests that need Docker skip without it,
# unless LAB_REQUIRE_DOCKER=1 (CI). -p 1: one package at a time, so that
# nothing else competes for the CPU that the containers are measured on.
test:
	$(GO) test -p 1 -count=1 -timeout 14m ./...

# The fault tests (chaos/), the slow ones too: minutes. The fast ones
# also run in `make test`. The last line counts the cases:
# "chaos: N fault cases ran, N passed". A case that skipped fails the
# run (LAB_CHAOS_NO_SKIP=1): it did not show what it is for.
# LAB_CHAOS_SEED=n replays the random moments of a run that failed.
chaos:
	@report=$$(mktemp); \
	LAB_CHAOS_NO_SKIP=1 LAB_CHAOS_REPORT=$$report $(GO) test -tags chaos -count=1 -v -timeout 20m ./chaos/; rc=$$?; \
	if [ -s $$report ]; then cat $$report; else echo "chaos: the fault tests did not run (exit $$rc)"; fi; \
	if grep -q ' skipped: ' $$report 2>/dev/null && [ $$rc = 0 ]; then echo "chaos: a case skipped: failing"; rc=1; fi; \
	rm -f $$report; exit $$rc

bench:
	./bench/run.sh

# lab capacity on the built-in app and an image of one's own, and the
# spread of 5 searches (bench/capacity.sh, about 20 minutes): section 8
# of BENCHMARKS.md.
.PHONY: bench-capacity
bench-capacity:
	./bench/capacity.sh

# What observing 1 to 50 idle tasks costs the host (lab, dockerd,
# containerd), on both ways of reaching tasks (bench/idle.sh, about 10
# minutes): section 9 of BENCHMARKS.md.
.PHONY: bench-idle
bench-idle:
	./bench/idle.sh

# The same load from lab's in-process generator and from generator
# containers (load.generators), paired, and the ceiling of each
# (bench/generators.sh, about 10 minutes): section 10 of BENCHMARKS.md.
.PHONY: bench-generators
bench-generators:
	./bench/generators.sh

# The generator's memory over 30 minutes at 2k req/s (bench/soak.sh): RSS
# flat after the first minute and under 150 MB. Outside `make bench`,
# which runs 10 minutes of it; SOAK=5m make soak for a shorter one.
.PHONY: soak
soak:
	./bench/soak.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: the files above need formatting'; exit 1; }
	$(GO) vet ./...

# The full-length built-ins, by hand (minutes each).
experiments: build
	./$(BIN) run cpu-vertical --headless

clean:
	rm -rf bin dist
