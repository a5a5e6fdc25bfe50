"""JSON columns on PostgreSQL are encoded by pydantic-core: any JSON document reads back as
it was written, as with `json.dumps`."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smileback.common.database import json_column_bytes, postgres_engine

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_DOCUMENTS)
def test_any_json_document_reads_back_as_written(document: Any) -> None:
    encoded = json_column_bytes(document)
    assert json.loads(encoded) == json.loads(json.dumps(document)) == document


def test_non_ascii_text_is_written_as_utf8_not_escaped() -> None:
    assert json_column_bytes({"text": "café 🙌"}) == '{"text":"café 🙌"}'.encode()


def test_the_postgres_engine_encodes_json_columns_with_it() -> None:
    engine = postgres_engine("postgresql+psycopg://u@127.0.0.1:1/none")
    assert engine.dialect._json_serializer is json_column_bytes  # type: ignore[comparison-overlap]
