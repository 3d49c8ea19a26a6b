# latentkit: the two commands are `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
RUN_DIR ?= runs/vae-fashion
EPOCHS ?= 10

.PHONY: setup build run test bench fuzz clean

setup:
	@bash scripts/setup.sh

# CMAKE_FLAGS passes extra options, e.g. -DCMAKE_PREFIX_PATH=<another LibTorch>.
$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Train the reference VAE (784-400-20) on Fashion-MNIST; leaves samples and reconstructions in $(RUN_DIR).
# A run there already is resumed (up to $(EPOCHS) epochs: nothing to do when it has them), never
# overwritten; `latentkit train --force` starts afresh and moves the old run aside.
run: build
	@if [ -e $(RUN_DIR)/checkpoints/last.pt ]; then \
	  echo "$(BUILD)/latentkit train --resume --epochs $(EPOCHS) --out $(RUN_DIR)"; \
	  $(BUILD)/latentkit train --resume --epochs $(EPOCHS) --out $(RUN_DIR); \
	else \
	  echo "$(BUILD)/latentkit train --model vae --data fashion-mnist --epochs $(EPOCHS) --out $(RUN_DIR)"; \
	  $(BUILD)/latentkit train --model vae --data fashion-mnist --epochs $(EPOCHS) --out $(RUN_DIR); \
	fi
	$(BUILD)/latentkit eval --run $(RUN_DIR) --k 100
	@echo "run directory: $(RUN_DIR) (samples.png, reconstructions.png, metrics.jsonl)"

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# latentkit against PyTorch (training, quality, inference, memory) and the machine's floor;
# writes docs/PERFORMANCE.md. Run it on an otherwise idle machine (about 7 minutes here).
bench: build
	/usr/bin/python3 bench/performance.py --build $(BUILD)

# Each fuzz target for FUZZ_SECONDS (600) with clang's libFuzzer and sanitizers (scripts/fuzz.sh);
# `make test` replays the seed corpora in fuzz/corpus.
fuzz: setup
	bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD)
