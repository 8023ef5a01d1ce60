# hdf5vault: build, test, demo. `make demo` and `make test` work on a fresh
# Debian 12 machine: the deps step installs whatever system package is missing.

SHELL := /bin/bash

# Go lives in /usr/local/go on the project machines; use it when go is not on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := /usr/local/go/bin:$(PATH)
endif
# The HDF5 back end is cgo: fail loudly rather than build without it.
export CGO_ENABLED := 1

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
BIN := bin/hdf5vault

.PHONY: all build test demo deps fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN) .

test: deps
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go test ./...

demo: build
	@bash scripts/demo.sh $(BIN)

fuzz: deps
	go test ./blosc/ -run='^$$' -fuzz='^FuzzDecode$$' -fuzztime=2m
	go test ./blosc/ -run='^$$' -fuzz='^FuzzDecodeBlocks$$' -fuzztime=2m
	go test ./archive/ -run='^$$' -fuzz=FuzzParseIndex -fuzztime=2m
	go test ./setwriter/ -run='^$$' -fuzz=FuzzParseJournal -fuzztime=2m
	go test ./setwriter/ -run='^$$' -fuzz=FuzzParseLock -fuzztime=2m
	go test ./shellquote/ -run='^$$' -fuzz=FuzzQuote -fuzztime=1m
	go test ./archive/ -run='^$$' -fuzz=FuzzSideIndex -fuzztime=2m
	go test ./h5sink/ -run='^$$' -fuzz=FuzzProbeAnswers -fuzztime=2m
	set -o pipefail; HDF5VAULT_SWEEP=300 go test . -run='^TestBitFlipSweep' -count=1 -timeout=3h -v | grep -E '^(---|ok|FAIL)|outcomes|exit 1:|: [0-9]+$$'

clean:
	rm -rf bin demo
