"""Every `smileback` process collects its youngest generation of garbage less often than
Python's default (the reason is beside YOUNG_GENERATION_THRESHOLD)."""

from __future__ import annotations

import subprocess
import sys

from smileback.cli.main import YOUNG_GENERATION_THRESHOLD


def test_a_smileback_process_runs_with_the_raised_young_generation_threshold() -> None:
    # The console entry point as installed, in a process of its own: what a service runs.
    probe = (
        "import gc, sys\n"
        "from smileback.cli import main as cli\n"
        "sys.argv = ['smileback', '--version']\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_threshold()[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert int(out.splitlines()[-1]) == YOUNG_GENERATION_THRESHOLD
