# latentkit: the two commands are `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
RUN_DIR ?= runs/vae-fashion
EPOCHS ?= 10

.PHONY: setup build run test bench clean

setup:
	@bash scripts/setup.sh

# CMAKE_FLAGS passes extra options, e.g. -DCMAKE_PREFIX_PATH=<another LibTorch>.
$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Train the reference VAE (784-400-20) on Fashion-MNIST; leaves samples and reconstructions in $(RUN_DIR).
run: build
	$(BUILD)/latentkit train --model vae --data fashion-mnist --epochs $(EPOCHS) --out $(RUN_DIR)
	$(BUILD)/latentkit eval --run $(RUN_DIR) --k 100
	@echo "run directory: $(RUN_DIR) (samples.png, reconstructions.png, metrics.jsonl)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# latentkit against PyTorch (training, quality, inference, memory) and the machine's floor;
# writes docs/PERFORMANCE.md. Run it on an otherwise idle machine (about 7 minutes here).
bench: build
	/usr/bin/python3 bench/performance.py --build $(BUILD)

clean:
	rm -rf $(BUILD)
