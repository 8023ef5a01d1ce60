# hdf5vault: build, test, demo. `make demo` and `make test` work on a fresh
# Debian 12 machine: the deps step installs whatever system package is missing.

SHELL := /bin/bash

# Go lives in /usr/local/go on the project machines; use it when go is not on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := /usr/local/go/bin:$(PATH)
endif
# The HDF5 back end is cgo: fail loudly rather than build without it.
export CGO_ENABLED := 1

# The commit goes into the version as build metadata (0.1.0-dev+3f2a1bc).
COMMIT := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
BIN := bin/hdf5vault

# Every go test run gets a generous timeout: the root package's tests build
# the binary and run it hundreds of times, several minutes on a loaded machine.
# Those tests mostly wait for the processes they start (fsync, exec, the
# probe child): four at a time keep two cores busy.
TEST_FLAGS := -timeout 30m -parallel 4
# The packages with goroutines of their own, for the race detector; -short
# keeps the slowed-down run short. blosc runs worker goroutines when Threads
# > 1: its race run is the tests that encode and decode with 2 and more.
RACE_PKGS := ./pipeline/ ./archiveset/ ./walker/ ./zipsink/ ./progress/
RACE_BLOSC := TestRoundTripKinds|TestEncoderReuse|TestDictWithinCBounds
# Pure-Go packages that must build (and vet clean) beyond Linux.
PORTABLE_PKGS := ./archive/ ./blosc/ ./walker/ ./pipeline/ ./tempfile/ ./progress/ ./zipsink/ ./setwriter/ ./shellquote/
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell go env GOPATH)/bin/staticcheck

.PHONY: all build test test-full race lint fmt-check demo deps fuzz man clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@echo "build: compiling $(BIN) (cgo + libhdf5; the first build on a fresh machine takes 1-2 minutes)"
	go build -ldflags "-X main.commit=$(COMMIT)" -o $(BIN) .

# The man page, generated from the command definitions (hdf5vault man).
man: build
	@echo "man: writing bin/hdf5vault.1 (read it with: man -l bin/hdf5vault.1)"
	$(BIN) man > bin/hdf5vault.1

fmt-check:
	@echo "fmt-check: gofmt -l ."
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

# Everyday: go vet and the suite with -short (sampled long matrices).
test: deps fmt-check
	@echo "test: go vet, then the -short suite (about 2.5 minutes on a 2-core machine once built, 3.5 the first time after a change, 6-9 on a fresh one, most of it the root package's end-to-end tests; go test prints each package when it is done)"
	go vet ./...
	go test -short $(TEST_FLAGS) ./...

# Everything, unsampled: what CI runs (.ci/run).
test-full: deps fmt-check
	@echo "test-full: go vet, then every test unsampled (much longer than make test)"
	go vet ./...
	go test $(TEST_FLAGS) ./...

race: deps
	go test -race -short $(TEST_FLAGS) $(RACE_PKGS)
	go test -race -short $(TEST_FLAGS) ./blosc/ -run '$(RACE_BLOSC)'

# staticcheck (installed once into GOPATH/bin from the module proxy) and
# go vet of the pure-Go packages for macOS and FreeBSD.
lint: deps
	@if [ "v$$($(STATICCHECK) -version 2>/dev/null | awk '{print $$NF}' | tr -d '()')" != "$(STATICCHECK_VERSION)" ]; then \
		echo "go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)"; \
		go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi
	$(STATICCHECK) ./...
	GOOS=darwin CGO_ENABLED=0 go vet $(PORTABLE_PKGS)
	GOOS=freebsd CGO_ENABLED=0 go vet $(PORTABLE_PKGS)

demo: build
	@echo "demo: generate, archive, list, unpack, compare, check and verify a small acquisition (about 5 minutes on a fresh machine, the first build included)"
	@bash scripts/demo.sh $(BIN)

fuzz: deps
	go test ./blosc/ -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=2m
	go test ./blosc/ -run='^$$' -fuzz='^FuzzDecodeBlocks$$' -fuzztime=2m
	go test ./archive/ -run='^$$' -fuzz=FuzzParseIndex -fuzztime=2m
	go test ./setwriter/ -run='^$$' -fuzz=FuzzParseJournal -fuzztime=2m
	go test ./setwriter/ -run='^$$' -fuzz=FuzzParseLock -fuzztime=2m
	go test ./setwriter/ -run='^$$' -fuzz=FuzzParseShardRecord -fuzztime=2m
	go test ./shard/ -run='^$$' -fuzz=FuzzParseRecord -fuzztime=2m
	go test ./shellquote/ -run='^$$' -fuzz=FuzzQuote -fuzztime=1m
	go test ./selection/ -run='^$$' -fuzz=FuzzGlob -fuzztime=1m
	go test ./selection/ -run='^$$' -fuzz=FuzzReadList -fuzztime=1m
	go test ./archive/ -run='^$$' -fuzz=FuzzSideIndex -fuzztime=2m
	go test ./archive/ -run='^$$' -fuzz=FuzzIndexEntry -fuzztime=1m
	go test ./h5sink/ -run='^$$' -fuzz=FuzzProbeAnswers -fuzztime=2m
	go test ./h5sink/ -run='^$$' -fuzz=FuzzStatName -fuzztime=1m
	go test ./h5sink/ -run='^$$' -fuzz=FuzzHeapObject -fuzztime=1m
	set -o pipefail; HDF5VAULT_SWEEP=300 go test . -run='^TestBitFlipSweep' -count=1 -timeout=3h -v | grep -E '^(---|ok|FAIL)|outcomes|exit 1:|: [0-9]+$$'

clean:
	rm -rf bin demo
