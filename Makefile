# Quick start: `make demo` and `make test` (README.md). Both install missing Debian packages first
# (scripts/install-deps.sh, with sudo when not root), then configure and build in build/.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
CMAKE      := cmake

.PHONY: all deps configure build demo test bench install clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 $(CMAKE_ARGS) >/dev/null

build: configure
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/bin/sbi demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 -DSBI_BUILD_BENCHMARKS=ON $(CMAKE_ARGS) >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)
	@for b in $(BUILD)/bin/bench_*; do echo "== $$b"; $$b; done

install: build
	$(CMAKE) --install $(BUILD)

clean:
	rm -rf $(BUILD)
