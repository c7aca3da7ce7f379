# The two commands of the README: `make demo` and `make test`.
# Both set up everything on a fresh Debian / Raspberry Pi OS machine first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest workers, one module each: the suite waits on radios, brokers, browsers and
# emulated boards more than it computes, so two workers halve it on two cores
TEST_JOBS ?= 2

.PHONY: demo test setup system-deps system-deps-demo lint typecheck unit bench fuzz clean

demo: system-deps-demo $(STAMP)
	$(BIN)/canopy demo --data demo-data

test: system-deps $(STAMP) lint typecheck unit

system-deps:
	sh deploy/system-deps.sh test

system-deps-demo:
	sh deploy/system-deps.sh demo

setup: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Canopy needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n $(TEST_JOBS) --dist loadfile --durations=25

bench: system-deps $(STAMP)
	$(BIN)/python bench/run_all.py

# The suite's property tests at every boundary (decoders, the desk, the portal's forms),
# run far longer: FUZZ_EXAMPLES inputs per property instead of the suite's few dozen;
# then each coverage-guided target (tests/fuzz/targets.py) for FUZZ_SECONDS under atheris,
# from its seeds in tests/fuzz_corpus/ (what it learns goes to build/fuzz/, crashes too).
FUZZ_EXAMPLES ?= 2000
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := entry_body store_records stream_frames command_language fragment_codec \
	mqtt_command mesh_envelope sync_frames
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz CANOPY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q \
		-p no:cacheprovider --timeout 3600 tests/test_fuzz_decoders.py \
		tests/stewards/test_fuzz_desk.py tests/portal/test_fuzz_forms.py \
		tests/test_fuzz_corpus.py
	for t in $(FUZZ_TARGETS); do \
		$(BIN)/python tests/fuzz/run.py $$t $(FUZZ_SECONDS) || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
