#!/usr/bin/env bash
# Creates .venv with the locked dependencies. Usage: scripts/bootstrap.sh [--dev]
# uv lives in its own small venv (.tools) because `uv sync` prunes what the lock does not list.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
PYTHON=${PYTHON:-python3}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "smileback needs Python >= 3.11 (found $("$PYTHON" --version))" >&2; exit 1; }
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$PYTHON" -m venv .tools
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
groups=(--no-dev)
# Development also gets the [train] extra: the tests train and evaluate the model.
[ "${1:-}" = "--dev" ] && groups=(--extra train)
UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --quiet --frozen --python "$PYTHON" "${groups[@]}"
