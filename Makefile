# Thin wrapper around CMake: `make check` runs the tests, `make demo` the demo.
# Both install missing Debian packages first (packaging/deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build check check-dataset check-asan fuzz-smoke bench demo package package-check cross-arm64 clean

all: build

deps:
	@packaging/deps.sh all

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DEG_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Every test but the benchmarks and those that need the whole data set,
# -Werror build. Real captures come from ../shared/data, else tests/data.
check: deps build
	cd $(BUILD) && ctest --output-on-failure -LE "bench|dataset" -j 2

# The tests that need the whole data set (../shared/data or
# ECHOGUARD_SHARED_DATA: all 94 captures, the model rebuild); each skips,
# saying why, without it.
check-dataset: deps build
	cd $(BUILD) && ctest --output-on-failure -L dataset

# The unit tests again under ASan+UBSan.
check-asan: deps
	cmake -S . -B $(BUILD)-asan -DEG_SANITIZE=ON -DEG_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -L unit -j 2

# Each libFuzzer target for FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?= 60
fuzz-smoke: deps
	CC=clang cmake -S . -B $(BUILD)-fuzz -DEG_FUZZ=ON -DBUILD_TESTING=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD)-fuzz -j $(JOBS)
	tests/fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: deps build
	cd $(BUILD) && ctest --output-on-failure -L bench

demo: deps build
	tests/e2e/demo.sh $(BUILD)

# The Debian package of this machine's architecture.
package: deps build
	cd $(BUILD) && cpack -G DEB

# Build, install (dpkg, on this machine), check and purge the package; the
# rules part runs in a network namespace of its own.
package-check: deps build
	packaging/test-package.sh $(BUILD)

# Compile for the Raspberry Pi's arm64, package it, and check under
# qemu-user that it computes what this machine computes.
cross-arm64: build
	@packaging/deps.sh cross
	cmake -S . -B $(BUILD)-arm64 -DEG_WERROR=ON -DBUILD_TESTING=OFF \
	  -DCMAKE_TOOLCHAIN_FILE=packaging/toolchain-arm64.cmake $(CMAKE_FLAGS)
	cmake --build $(BUILD)-arm64 -j $(JOBS)
	cd $(BUILD)-arm64 && cpack -G DEB
	packaging/test-arm64.sh $(BUILD) $(BUILD)-arm64

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-arm64
