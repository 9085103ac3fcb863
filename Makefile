# The two set-up commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
UV := $(shell ./scripts/bootstrap.sh)

.PHONY: demo test lint typecheck unit bench

demo:
	$(UV) sync --frozen --no-dev
	$(UV) run --no-dev metro-ops demo

test:
	./scripts/install-test-deps.sh
	$(UV) sync --frozen
	$(UV) run ruff format --check .
	$(UV) run ruff check .
	$(UV) run mypy
	$(UV) run lint-imports  # one-way dependencies: [tool.importlinter] in pyproject.toml
	$(UV) run python scripts/audit_deps.py  # pip-audit of uv.lock; says AUDIT SKIPPED when offline
	$(UV) run pytest -q

lint:
	$(UV) run ruff format . && $(UV) run ruff check --fix .

bench:
	$(UV) run python bench/ingest.py
