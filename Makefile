# lab: see README.md. `make run` runs the default scenario, `make test` the tests.
GO       ?= go
BIN      := bin/lab
SCENARIO ?= cpu-vertical
# A static binary: lab packages its own executable as the workload image,
# which runs FROM scratch.
export CGO_ENABLED = 0

.PHONY: build run test bench lint clean experiments

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/lab

# The default scenario; headless when there is no terminal.
run: build
	./$(BIN) run $(SCENARIO)

# Unit and integration tests. Tests that need Docker skip without it,
# unless LAB_REQUIRE_DOCKER=1 (CI). -p 1: one package at a time, so that
# nothing else competes for the CPU that the containers are measured on.
test:
	$(GO) test -p 1 -count=1 -timeout 14m ./...

bench:
	./bench/run.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: the files above need formatting'; exit 1; }
	$(GO) vet ./...

# The full-length built-ins, by hand (minutes each).
experiments: build
	./$(BIN) run cpu-vertical --headless

clean:
	rm -rf bin
