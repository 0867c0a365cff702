# The two commands: `make run` (the whole pipeline on the bundled data) and `make test` (the whole suite).
# Each installs what is missing into .venv first. TORCH is what pip installs when torch is not there yet:
# a CPU build by default; install a CUDA build into .venv yourself first to train on a GPU (README.md).
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
PRESET ?= tiny
# test workers: pytest-xdist runs whole files (a notebook's cells in order) on each; 2 fits a 2-core laptop
WORKERS ?= 2
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test browser bench notebooks release lint clean

# The pipeline builds one stage at a time, alone on the machine: there OpenMP threads that spin between operations
# (ACTIVE) pretrain the tiny model 1.75x faster than threads that sleep (PASSIVE, minillm.train's default for a
# machine shared with other work, where two torch processes that spin run 1.7x slower; benchmarks/RESULTS.md).
PIPELINE := OMP_WAIT_POLICY=ACTIVE $(BIN)/minillm pipeline

run: $(INSTALLED)
	$(PIPELINE) --preset $(PRESET)

# the notebooks read the tiny preset's stages: build them first, one at a time with every core, then test in parallel
test: $(INSTALLED) browser
	$(PIPELINE) --preset tiny
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# The chat page's test drives a headless Chromium (tests/test_chat_app.py). As root with apt-get (CI), install
# Debian's when it is missing; anywhere else the test is skipped and says how to get it.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "no chromium and chromedriver: the browser test will be skipped"; fi

bench: $(INSTALLED)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

notebooks: $(INSTALLED)
	$(BIN)/minillm course run notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/minillm course release

release: $(INSTALLED)
	$(BIN)/minillm course release

lint: $(INSTALLED)
	$(BIN)/ruff check minillm tests benchmarks

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install $(TORCH)
	$(BIN)/python -m pip install -e ".[course,dev]"
	touch $(INSTALLED)

clean:
	rm -rf runs .pytest_cache
