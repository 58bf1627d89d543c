# The two commands of the README: `make run` and `make test`. Both install what they need.
.PHONY: run test down trial lint bench screenshots translations help

help:
	@echo "make run    — install, then run the platform here (real Kafka, four services)"
	@echo "make test   — install, then run the whole test suite (what CI runs)"
	@echo "make down   — stop a platform started with make run"
	@echo "make trial  — all four services in one process on an in-memory bus"
	@echo "make lint   — ruff on everything, mypy on domains, service layers and common, the import contracts"
	@echo "make bench  — the benchmarks in bench/ (results in bench/README.md)"
	@echo "make screenshots — pictures of the main pages (phone, desktop) in docs/screenshots/, of a running platform"
	@echo "make translations — the pages' strings into their catalogs (.po), then compiled (.mo)"

run:
	@bash deploy/scripts/bootstrap.sh
	@.venv/bin/giaitrinh up

test:
	@bash deploy/scripts/bootstrap.sh --test
	@.venv/bin/python -m pytest

down:
	@.venv/bin/giaitrinh down

trial:
	@bash deploy/scripts/bootstrap.sh
	@.venv/bin/giaitrinh trial

lint:
	@bash deploy/scripts/bootstrap.sh
	@.venv/bin/ruff check services tests bench
	@.venv/bin/mypy services/*/giaitrinh_*/domain services/*/giaitrinh_*/service_layer services/common/giaitrinh_common
	@.venv/bin/lint-imports --no-cache

bench:
	@bash deploy/scripts/bootstrap.sh --test
	@.venv/bin/python bench/run.py

screenshots:
	@bash deploy/scripts/bootstrap.sh --test
	@.venv/bin/giaitrinh screenshots

translations:
	@bash deploy/scripts/bootstrap.sh
	@.venv/bin/python -m giaitrinh_common.ui.catalogs update services
