"""Each shared module names its public surface, and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil

import smileback.common


def test_every_shared_module_names_what_it_exports() -> None:
    problems: dict[str, object] = {}
    found = set()
    for info in pkgutil.walk_packages(smileback.common.__path__, prefix="smileback.common."):
        found.add(info.name.removeprefix("smileback.common."))
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if not names:
            problems[info.name] = "no __all__"
        elif missing := [n for n in names if not hasattr(module, n)]:
            problems[info.name] = missing
    assert problems == {}
    assert {"events", "packet", "redaction", "incident_status", "oncall", "yamlconf"} <= found
