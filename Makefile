# The two Quick start commands are `make demo` and `make test`; the rest are for the local cluster.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help demo test bench-e2e lint audit kafka-jars kafka-start kafka-stop postgres-start postgres-stop

help:
	@echo "make demo   - run every service in one process on the bundled scenario"
	@echo "make test   - lint, type-check and run the whole test suite (starts Kafka and PostgreSQL)"
	@echo "make bench-e2e - the end-to-end benchmark (BENCH_ARGS=--quick for a smoke run)"
	@echo "make audit  - the locked dependencies against PyPI's vulnerability advisories"
	@echo "make kafka-start / kafka-stop, make postgres-start / postgres-stop - the local cluster"

demo:
	@scripts/bootstrap.sh
	.venv/bin/smileback demo

test:
	scripts/test.sh

# Starts its own broker, PostgreSQL and services; see benchmarks/README.md. BENCH_ARGS passes
# options through, e.g. BENCH_ARGS=--quick or BENCH_ARGS="--volumes".
bench-e2e:
	scripts/bootstrap.sh --dev
	deploy/kafka/kafka.sh jars
	deploy/postgres/postgres.sh install
	.venv/bin/python -m benchmarks.e2e $(BENCH_ARGS)

lint:
	scripts/bootstrap.sh --dev
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports --no-cache

# Every locked package (all groups and extras; the project itself is not on PyPI), exactly as
# pinned, so nothing is resolved or installed; PyPI's advisories, as OSV may be unreachable.
# --strict: a package that could not be looked up fails the audit instead of passing unseen.
AUDIT_REQUIREMENTS := .run/audit-requirements.txt
audit:
	scripts/bootstrap.sh --dev
	mkdir -p .run
	.tools/bin/uv export --frozen --no-hashes --all-groups --all-extras --no-emit-project --quiet -o $(AUDIT_REQUIREMENTS)
	.venv/bin/pip-audit -r $(AUDIT_REQUIREMENTS) --no-deps --disable-pip --strict --vulnerability-service pypi

kafka-jars:
	deploy/kafka/kafka.sh jars

kafka-start: kafka-jars
	DATA_DIR=$${DATA_DIR:-.run/kafka} deploy/kafka/kafka.sh start && deploy/kafka/kafka.sh topics

kafka-stop:
	DATA_DIR=$${DATA_DIR:-.run/kafka} deploy/kafka/kafka.sh stop

postgres-start:
	deploy/postgres/postgres.sh install
	PGDATA=$${PGDATA:-$(CURDIR)/.run/postgres} deploy/postgres/postgres.sh start

postgres-stop:
	PGDATA=$${PGDATA:-$(CURDIR)/.run/postgres} deploy/postgres/postgres.sh stop
