# Two promises: `make demo` runs the main job, `make test` runs every check.
# `make test-fast` is the quick loop: unit tests and doctests only (no slow, no integration).
# Both build the virtual environment they need from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint lint-imports typecheck pytest docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The library, a typed user's module and every python block of README, docs/ and the
# notebooks (extracted to build/typing/docs), read by both mypy --strict and pyright.
typecheck: $(STAMP)
	$(BIN)/python -m tests.typing.docs_code build/typing/docs
	$(BIN)/mypy --strict automation_dsl tests/typing build/typing/docs
	$(BIN)/pyright automation_dsl tests/typing build/typing/docs

pytest: $(STAMP)
	$(BIN)/pytest

# Under a minute: no server, subprocess, CLI, docs or notebook runs (markers set in tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/pytest -q tests automation_dsl -m "not slow and not integration"

# The layering contract of docs/architecture.md ([tool.importlinter] in pyproject.toml), and the
# cycle check that counts function-local imports.
lint-imports: $(STAMP)
	$(BIN)/lint-imports

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

test: lint lint-imports typecheck pytest docs

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_client.py
	$(BIN)/python benchmarks/bench_sandbox.py
	$(BIN)/python benchmarks/bench_schema.py
	$(BIN)/python benchmarks/bench_schedule.py
	$(BIN)/python benchmarks/bench_svg.py
	$(BIN)/python benchmarks/bench_explore.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
