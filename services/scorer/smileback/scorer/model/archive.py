"""The model as data: numpy arrays and one JSON document in a compressed `.npz`, no pickle.

The archive is a zip holding one `.npy` member per array (loaded with
`allow_pickle=False`, so an object array is refused rather than unpickled) and
`model.json` with the lexicon, the n-gram settings and both vocabularies (terms in
column order). `decode_model` checks every member's name, dtype and shape and rebuilds
the classes through their constructors: whatever the bytes hold, loading them runs no
code of theirs. Members are written with a fixed timestamp, so the same model gives
the same bytes (`np.savez_compressed` stamps the current time).
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Mapping
from itertools import count
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smileback.scorer.model.errors import ModelError
from smileback.scorer.model.features import LEXICON_FEATURES, SocialFeatures
from smileback.scorer.model.negativity import NegativityModel

__all__ = ["MAX_UNPACKED_BYTES", "decode_model", "encode_model"]

# The shipped model unpacks to 5.4 MB; this leaves room for far larger vocabularies.
MAX_UNPACKED_BYTES = 1 << 30

_SETTINGS = "model.json"
_ARRAYS = ("coef", "intercept", "calibration_a", "calibration_b", "explainable", "idf")
_ZIP_MAGIC = b"PK\x03\x04"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record
_LABELS = 3


class _Settings(BaseModel):
    """What `model.json` holds: everything but the arrays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lexicon: dict[str, float]
    word_n: int = Field(ge=1)
    word_max: int = Field(ge=1)
    char_range: tuple[int, int]
    char_max: int = Field(ge=1)
    min_df: int = Field(ge=1)
    word_vocabulary: list[str]
    char_vocabulary: list[str]


def encode_model(model: NegativityModel) -> bytes:
    """The archive bytes of `model`; the same model always gives the same bytes."""
    features = model.features
    settings = _Settings(
        lexicon=features.normaliser.lexicon,
        word_n=features.word_n,
        word_max=features.word_max,
        char_range=features.char_range,
        char_max=features.char_max,
        min_df=features.min_df,
        word_vocabulary=_in_column_order(features.word_vocabulary),
        char_vocabulary=_in_column_order(features.char_vocabulary),
    )
    arrays = {
        "coef": model.coef,
        "intercept": model.intercept,
        "calibration_a": model.calibration_a,
        "calibration_b": model.calibration_b,
        "explainable": model.explainable,
        "idf": features.idf,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            with archive.open(_member(f"{name}.npy"), "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        # ASCII JSON: a vocabulary may hold lone surrogates, which only escapes carry.
        archive.writestr(_member(_SETTINGS), json.dumps(settings.model_dump()).encode("ascii"))
    return buffer.getvalue()


def decode_model(data: bytes) -> NegativityModel:
    """The model in archive `data`; ModelError for anything but a well-formed archive."""
    if not data.startswith(_ZIP_MAGIC):
        raise ModelError("not a model archive (.npz): pickled or other data is never loaded")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as listing:
            unpacked = sum(info.file_size for info in listing.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            # A small zip can inflate to gigabytes; zipfile stops reading at the sizes listed.
            raise ModelError(
                f"model archive unpacks to {unpacked} bytes, more than {MAX_UNPACKED_BYTES}"
            )
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            expected = {*_ARRAYS, _SETTINGS}
            if set(archive.files) != expected:
                raise ModelError(
                    f"model archive holds {sorted(archive.files)}, expected {sorted(expected)}"
                )
            raw_settings = archive[_SETTINGS]
            arrays = {name: archive[name] for name in _ARRAYS}
    except (ValueError, OSError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error) as exc:
        # np.load refuses object arrays with ValueError instead of unpickling them.
        raise ModelError(f"unreadable model archive: {exc}") from exc
    settings = _settings(raw_settings)
    width = len(settings.word_vocabulary) + len(settings.char_vocabulary)
    features = SocialFeatures.fitted(
        lexicon=settings.lexicon,
        word_n=settings.word_n,
        word_max=settings.word_max,
        char_range=settings.char_range,
        char_max=settings.char_max,
        min_df=settings.min_df,
        word_vocabulary=_numbered(settings.word_vocabulary, "word_vocabulary"),
        char_vocabulary=_numbered(settings.char_vocabulary, "char_vocabulary"),
        idf=_checked(arrays, "idf", np.float32, (width,)),
    )
    columns = width + len(LEXICON_FEATURES)
    return NegativityModel(
        features=features,
        coef=_checked(arrays, "coef", np.float32, (_LABELS, columns)),
        intercept=_checked(arrays, "intercept", np.float32, (_LABELS,)),
        calibration_a=_checked(arrays, "calibration_a", np.float32, (_LABELS,)),
        calibration_b=_checked(arrays, "calibration_b", np.float32, (_LABELS,)),
        explainable=_checked(arrays, "explainable", np.bool_, (columns,)),
    )


def _member(name: str) -> zipfile.ZipInfo:
    """A compressed zip member with a fixed timestamp."""
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _in_column_order(vocabulary: Mapping[str, int]) -> list[str]:
    """The terms of a vocabulary numbered 0..n-1, in column order."""
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    if [vocabulary[term] for term in terms] != list(range(len(terms))):
        raise ValueError("a vocabulary's columns must be numbered 0..n-1")
    return terms


def _settings(raw: Any) -> _Settings:
    """`model.json`, validated."""
    if not isinstance(raw, bytes):
        raise ModelError(f"model archive: {_SETTINGS} must be JSON, not an array")
    try:
        return _Settings.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ModelError(f"model archive: invalid {_SETTINGS}: {problems}") from exc


def _numbered(terms: list[str], name: str) -> dict[str, int]:
    """Each term's column; a term listed twice is refused."""
    vocabulary = dict(zip(terms, count()))
    if len(vocabulary) != len(terms):
        raise ModelError(f"model archive: {name} lists a term twice")
    return vocabulary


def _checked(
    arrays: Mapping[str, Any], name: str, dtype: type[np.generic], shape: tuple[int, ...]
) -> Any:
    """Array `name`, refused unless it has exactly `dtype` and `shape`."""
    array = arrays[name]
    if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != shape:
        found = f"{array.dtype} {array.shape}" if isinstance(array, np.ndarray) else "not an array"
        raise ModelError(f"model archive: {name} must be {np.dtype(dtype)} {shape}, found {found}")
    return array
