# UniMQ: `make run` starts the all-in-one server, `make test` runs every test.
BUILD      ?= build/release
ASAN_BUILD ?= build/asan
FUZZ_BUILD ?= build/fuzz
PYTHON     ?= /usr/bin/python3
JOBS       ?= $(shell nproc)
CONFIG     ?= config/unimq.toml
FUZZ_SECONDS ?= 30

.PHONY: all deps build run test unit integration asan fuzz bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	mkdir -p data
	$(BUILD)/unimq server --config $(CONFIG) --data-dir ./data

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration: build
	UNIMQ_BIN=$(abspath $(BUILD))/unimq $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUNIMQ_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)
	# The integration suite against the sanitized broker: a leak or memory error makes the
	# broker exit non-zero, which fails the test that stopped it.
	UNIMQ_BIN=$(abspath $(ASAN_BUILD))/unimq ASAN_OPTIONS=detect_leaks=1 \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

fuzz: deps
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUNIMQ_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test: build
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory integration
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz

bench: build
	bash bench/run.sh $(BUILD)
	bash bench/storage.sh $(BUILD)
	bash bench/mqtt_journal.sh $(BUILD)
	bash bench/kafka.sh $(BUILD)
	bash bench/amqp.sh $(BUILD)
	bash bench/soak.sh $(BUILD)

format:
	find src tests bench tools -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
