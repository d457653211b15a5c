# Quick start: `make demo` runs the main job against the local sandbox; `make test` runs everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test docs lint typecheck pytest pytest-kratos kratos fuzz record test-live bench notebooks lab clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

## demo: start a seeded sandbox on a free loopback port, export identities and sessions to out/, stop it
demo: $(VENV)/.installed-run
	$(BIN)/ory-frames demo --out out

## test: lint, type-check and run the whole test suite (notebooks included); when a Kratos binary is
## installed (`make kratos`), the sandbox-facing tests run again against a real Ory Kratos
test: lint typecheck docs pytest pytest-kratos

lint: $(VENV)/.installed-test
	$(BIN)/ruff check ory_frames tests benchmarks notebooks docs/hooks.py
	$(BIN)/ruff format --check ory_frames tests benchmarks notebooks docs/hooks.py

## docs: build the documentation site (mkdocs.yml, docs/) into site/; --strict: a broken link, a public name
## without a docstring or any other warning fails the build
docs: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# pytest-xdist: one worker per core (PYTEST_WORKERS=0 runs in this process); a module's tests stay on one
# worker, so they share its module-scoped sandboxes. The tests in DRIFT_TESTS run in both server modes in
# this one run ([plain] and [drift], tests/conftest.py).
PYTEST_WORKERS ?= auto
XDIST = -n $(PYTEST_WORKERS) --dist loadscope

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -q -m "not live" $(XDIST)

## kratos: build the real Ory Kratos server (Go module pinned in tools/kratos/go.mod) into build/kratos/
kratos:
	bash scripts/install-kratos.sh

# The pass against a real Kratos (README "Testing against a real Kratos"): the tests in KRATOS_TESTS, with
# sandbox-only tests skipped. Without the binary this says so and runs nothing; CI installs it first.
pytest-kratos: $(VENV)/.installed-test
	@if bash scripts/install-kratos.sh --installed >/dev/null; then \
	  $(BIN)/pytest -q -m "not live" $(XDIST) --server kratos $(KRATOS_TESTS); \
	else \
	  echo "pytest-kratos: no Kratos binary (make kratos builds it; needs Go): the pass against a real Kratos is not run"; \
	fi

# Every test of reads, exports (shards included), write-back, copy, data-subject requests, forms and the CLI
# that starts a server; drift mode is the sandbox's own (tests/drift is sandbox_only as a whole).
KRATOS_TESTS = tests/kratos $(DRIFT_TESTS) tests/copy tests/shards tests/writeback/test_undeclared_traits.py

# The tests of reads, exports, write-back, forms and the CLI that talk to a sandbox: `make pytest` runs them
# against plain and against drift-mode sandboxes (fields and enum values Ory may add later; README "Drift mode").
# tests/drift_support.py's DRIFT_TESTS is this list (tests/test_suite_setup.py checks).
DRIFT_TESTS := tests/drift tests/frames/test_arrow_out.py tests/frames/test_export.py tests/frames/test_oddities.py \
	tests/frames/test_output_format.py tests/writeback/test_sandbox.py tests/writeback/test_create_rows.py \
	tests/widgets tests/client/test_sandbox_e2e.py tests/test_cli.py tests/test_cli_apply.py \
	tests/test_cli_export.py tests/test_cli_subject.py tests/test_subject.py

## fuzz: Schemathesis over Kratos' and Ory Network's OpenAPI specs against a fresh sandbox (about 2 minutes)
fuzz: $(VENV)/.installed-test
	$(PY) tests/fuzz/run.py

## record: re-record cassettes over real HTTP from a fresh sandbox; with RECORD_FROM_PROJECT=1, the
## read-only ones from the project named by ORY_SDK_URL / ORY_API_KEY instead (scrubbed, but your data)
record: $(VENV)/.installed-test
ifeq ($(RECORD_FROM_PROJECT),1)
	ORY_FRAMES_RECORD=1 $(BIN)/pytest -q tests/cassette
else
	env -u ORY_SDK_URL -u ORY_API_KEY ORY_FRAMES_RECORD=1 $(BIN)/pytest -q tests/cassette
endif

## test-live: read-only tests against the real project named by ORY_SDK_URL / ORY_API_KEY
test-live: $(VENV)/.installed-test
	$(BIN)/pytest -q -m live

## notebooks: re-execute the notebooks against a fresh sandbox and save them with their outputs
notebooks: $(VENV)/.installed-test
	$(PY) notebooks/execute.py

## lab: open the notebooks in JupyterLab (installs it into the venv first)
lab: | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.installed-test
	$(PY) benchmarks/sandbox.py

clean:
	rm -rf $(VENV) out site .pytest_cache .mypy_cache .ruff_cache
