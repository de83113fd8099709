# The two Quick start commands (make run, make test). Both install what is missing and build
# first (scripts/setup.sh). The other build types are CMake presets (CMakePresets.json).
BUILD ?= build
SCENARIO ?= scenarios/ran_figure_c.toml
OUT ?= run.h5

.PHONY: run test test-all bench build clean debug asan format-check
build:
	scripts/setup.sh $(BUILD)

# --overwrite: `make run` twice replaces the first run.h5 (only once the new one is whole).
run: build
	$(BUILD)/bin/ransim run $(SCENARIO) --out $(OUT) --overwrite

# Fast suite (slow tests are labelled "slow" and run with `make test-all`).
test: build
	cd $(BUILD) && ctest --output-on-failure -j2 -LE slow

test-all: build
	cd $(BUILD) && ctest --output-on-failure -j2

bench: build
	$(BUILD)/bin/ransim_bench

# Debug and sanitizer builds of the fast suite, in build-debug/ and build-asan/.
debug asan:
	cmake --preset $@ && cmake --build --preset $@ && ctest --preset $@

# Lists the files whose formatting differs from .clang-format (changes nothing).
format-check:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD)
