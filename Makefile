# feature-atlas: two commands on a fresh Debian 12 machine (see README).
#   make atlas   installs dependencies, builds, and builds the default atlas (atlas/site/index.html), probes
#                one topic (TOPIC, default love) and writes the briefing for policymakers on it
#                (atlas/briefing/briefing.pdf); `make atlas TOPIC=death` briefs on another topic
#   make test    installs dependencies, builds, and runs the whole test suite (real model included)
#   make fuzz    builds the libFuzzer targets (Tests/Fuzz) and runs each 1,000,000 times (not part of test or CI)
#   make style   checks the house code style of the Swift files (scripts/style.sh; not part of test)
SHELL := /bin/bash
SWIFT ?= swift
ATLAS ?= atlas
TOPIC ?= love

.PHONY: setup build atlas quick test bench fuzz style clean

setup:
	scripts/setup.sh

build: setup
	$(SWIFT) build -c release

atlas: build
	.build/release/feature-atlas build --atlas $(ATLAS)
	.build/release/feature-atlas probe --atlas $(ATLAS) --topic "$(TOPIC)"
	.build/release/feature-atlas brief --atlas $(ATLAS) --topic "$(TOPIC)"
	@echo "briefing: $(ATLAS)/briefing/briefing.pdf (and briefing.html)"

quick: build
	.build/release/feature-atlas build --preset quick --atlas $(ATLAS)-quick

test: setup
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

bench: build
	.build/release/atlas-bench

fuzz: setup
	scripts/fuzz.sh

style:
	scripts/style.sh

clean:
	rm -rf .build .build-fuzz $(ATLAS) $(ATLAS)-quick
