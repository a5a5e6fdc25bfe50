#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then lint, types, pytest.
# pytest's fixtures start a throwaway Kafka broker and PostgreSQL (tests/integration/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing: Python packages, Kafka jars, PostgreSQL, Chromium, Prometheus"
scripts/bootstrap.sh --dev
deploy/kafka/kafka.sh jars
deploy/postgres/postgres.sh install
# Debian's Chromium for the console's browser tests (Playwright's own browser download is not used)
# and Prometheus for the scrape test.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== ruff, mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== pytest"
# Exit code 5 (no test collected) is a failure here, as any other non-zero code.
exec .venv/bin/python -m pytest "$@"
