# The two Quick start commands. Both install what is missing and build first.
BUILD ?= build
SCENARIO ?= scenarios/ran_figure_c.toml
OUT ?= run.h5

.PHONY: run test test-all bench build clean
build:
	scripts/setup.sh $(BUILD)

run: build
	$(BUILD)/bin/ransim run $(SCENARIO) --out $(OUT)

# Fast suite (slow tests are labelled "slow" and run with `make test-all`).
test: build
	cd $(BUILD) && ctest --output-on-failure -j2 -LE slow

test-all: build
	cd $(BUILD) && ctest --output-on-failure -j2

bench: build
	$(BUILD)/bin/ransim_bench

clean:
	rm -rf $(BUILD)
