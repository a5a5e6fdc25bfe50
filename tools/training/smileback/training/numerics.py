"""What training's floating point depends on besides the code and the data.

numpy picks SIMD kernels (AVX2, AVX-512 …) for the CPU at run time and OpenBLAS picks
its kernels and thread count likewise, so the same training can differ in the last
digits between machines. `single_threaded` takes the thread count out of it (a
reduction split over threads adds in a different order); `build_environment` records
the rest in the model card, so a reader knows what an artifact was built with.
"""

from __future__ import annotations

import platform
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import scipy  # type: ignore[import-untyped]  # scipy ships no stubs
from threadpoolctl import (  # type: ignore[import-untyped]  # no type information shipped
    threadpool_info,
    threadpool_limits,
)

__all__ = ["build_environment", "single_threaded"]


def single_threaded() -> AbstractContextManager[Any]:
    """BLAS and OpenMP pools limited to one thread while the context is open."""
    limits: AbstractContextManager[Any] = threadpool_limits(limits=1)
    return limits


def build_environment() -> dict[str, str]:
    """Python, scipy, the BLAS libraries and numpy's CPU dispatch targets, as text."""
    blas = sorted(
        f"{pool.get('internal_api', '?')} {pool.get('version') or '?'} "
        f"{pool.get('architecture') or '?'}"
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    )
    return {
        "python": platform.python_version(),
        "scipy": str(scipy.__version__),
        "blas": "; ".join(blas) or "none found",
        "numpy_simd": _numpy_simd(),
    }


def _numpy_simd() -> str:
    """The SIMD targets numpy dispatches to on this CPU ("X86_V3 X86_V4 …")."""
    # Private but long-standing (numpy >= 1.20); show_runtime() prints the same data.
    umath = getattr(np, "_core", None) or getattr(np, "core", None)
    core = getattr(umath, "_multiarray_umath", None)
    dispatch = getattr(core, "__cpu_dispatch__", None)
    features = getattr(core, "__cpu_features__", None)
    if not isinstance(dispatch, list) or not isinstance(features, dict):
        return "unknown"
    return " ".join(target for target in dispatch if features.get(target)) or "baseline"
