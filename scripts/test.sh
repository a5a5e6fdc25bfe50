#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then lint, types, pytest.
# pytest's fixtures start a throwaway Kafka broker and PostgreSQL (tests/integration/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing: Python packages, Kafka jars, PostgreSQL, Chromium, Prometheus, Alertmanager"
scripts/bootstrap.sh --dev
deploy/kafka/kafka.sh jars
deploy/postgres/postgres.sh install
# Debian's Chromium for the console's browser tests (Playwright's own browser download is not used)
# Prometheus (with promtool) for the scrape and alert rule tests, Alertmanager (with amtool) for
# the alert delivery test.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# kustomize renders deploy/k8s for tests/deploy/test_k8s.py: built from the Go module proxy at a
# pinned version (v5.8.1 is the newest that builds with the machine's Go 1.26).
KUSTOMIZE_VERSION=v5.8.1
if [ "$(.tools/bin/kustomize version 2>/dev/null)" != "$KUSTOMIZE_VERSION" ]; then
  GOBIN="$PWD/.tools/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

# The tests follow whatever Debian ships now rather than pinning versions (the mirror drops
# superseded ones, so an exact pin breaks on a fresh machine). Say what ran, and refuse only
# what is older than the tests truly need.
echo "== system versions"
version_of() { grep -oE '[0-9]+(\.[0-9]+)+' | head -n1; }
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
need() { # name, found version, minimum, why that minimum
  if [ -z "$2" ] || ! at_least "$2" "$3"; then
    echo "error: $1 ${2:-(not found)} is older than $3, the oldest the tests can use: $4" >&2
    exit 1
  fi
  echo "$1 $2 (needs >= $3)"
}
pg_bindir="$(dirname "$(readlink -f "$(command -v initdb || printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")")"
need chromium "$(chromium --version 2>/dev/null | version_of)" 86 \
  "the console uses Element.replaceChildren"
need prometheus "$(prometheus --version 2>&1 | version_of)" 2.26 \
  "the alert rule tests name their test groups (promtool test rules)"
need alertmanager "$(prometheus-alertmanager --version 2>&1 | version_of)" 0.22 \
  "deploy/alertmanager routes with matchers and reads its receivers' URLs from files"
need postgresql "$("$pg_bindir/postgres" --version 2>/dev/null | version_of)" 13 \
  "test databases are dropped WITH (FORCE); covering indexes need 11"

echo "== ruff, mypy, import contracts"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache

echo "== pytest"
# Exit code 5 (no test collected) is a failure here, as any other non-zero code.
exec .venv/bin/python -m pytest "$@"
