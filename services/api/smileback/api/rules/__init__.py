"""Brand rules: a small boolean query language (pure; ingest should adopt it for matching).

"acme coffee" AND (refund OR @acmehelp) AND NOT #ad
"""

from smileback.api.rules.matching import CompiledRule, compile_rule
from smileback.api.rules.syntax import (
    MAX_RULE_CHARS,
    And,
    Node,
    Not,
    Or,
    RuleSyntaxError,
    Term,
    TermKind,
    parse_rule,
    render_rule,
)

__all__ = [
    "MAX_RULE_CHARS",
    "And",
    "CompiledRule",
    "Node",
    "Not",
    "Or",
    "RuleSyntaxError",
    "Term",
    "TermKind",
    "compile_rule",
    "parse_rule",
    "render_rule",
]
