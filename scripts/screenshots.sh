#!/usr/bin/env bash
# The console's screenshots in docs/, taken by its browser tests against `smileback demo`:
# console-queue.png (the open queue), console.png (the incident, acknowledged, at laptop
# width) and console-phone.png (the same at 390 px). Needs Debian's chromium, as the tests do.
#
#     scripts/screenshots.sh            # then review and commit docs/*.png
set -euo pipefail
cd "$(dirname "$0")/.."
SMILEBACK_SCREENSHOTS=docs exec .venv/bin/pytest tests/integration/test_console_browser.py \
  -k "demo and test_a_responder_sees_the_incident_and_acknowledges_it" -q -p no:cacheprovider "$@"
