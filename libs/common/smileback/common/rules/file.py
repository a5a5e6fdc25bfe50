"""A rules file: one query of the brand-rule language per brand, in YAML.

    brands:
      acme:
        query: '("acme coffee" OR @acmecoffee OR #acmecoffee) AND NOT (hiring OR "job opening")'

Every error names the file and line (`smileback.common.yamlconf`): an unknown key, a value of
the wrong type, a brand name the API would refuse, too many brands. A query that does not
parse names the line and column of the character where it went wrong, counted in the file
(quotes, escapes and folded lines accounted for, `YamlDoc.place_in`), and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smileback.common.errors import ConfigError
from smileback.common.rules.matching import CompiledRule, compile_rule
from smileback.common.rules.syntax import RuleSyntaxError
from smileback.common.yamlconf import Located, read_yaml, validate_located

__all__ = ["BRAND_NAME_PATTERN", "MAX_BRANDS", "BrandName", "load_rules_file"]

BRAND_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# Ten times the 1,000 rules the matcher is benchmarked with: room for a large customer, and
# still a bound on what one file can make every ingest process compile and hold.
MAX_BRANDS = 10_000

BrandName = Annotated[str, StringConstraints(pattern=BRAND_NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Brand(_Strict):
    query: str


class _RulesFile(_Strict):
    brands: Annotated[dict[BrandName, _Brand], Field(min_length=1, max_length=MAX_BRANDS)]


def load_rules_file(path: str | Path) -> dict[str, CompiledRule]:
    """Each brand's compiled query, in file order; ConfigError naming the file, line and reason."""
    doc = read_yaml(path)
    top = validate_located(_RulesFile, doc.data, sources=[Located(prefix=(), doc=doc, at=())])
    rules: dict[str, CompiledRule] = {}
    for brand, spec in top.brands.items():
        try:
            rules[brand] = compile_rule(spec.query)
        except RuleSyntaxError as exc:
            loc = ("brands", brand, "query")
            line, column = doc.place_in(loc, index=exc.position)
            where = ".".join(loc)
            raise ConfigError(f"{doc.path}:{line}:{column}: {where}: {exc.reason}") from None
    return rules
