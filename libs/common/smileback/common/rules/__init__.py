"""Brand rules: one boolean query language, parsed, rendered and matched (pure).

"acme coffee" AND (refund OR @acmehelp) AND NOT #ad

The api validates the rules users write with it; ingest matches a brand's configured terms
as one OR rule of them; alerts decides whether a mention is addressed to a brand with it.
A RuleSet matches many named rules against one text through an index; a rules file
(`smileback.common.rules.file`) names one rule per brand.
"""

from smileback.common.rules.matching import (
    CompiledRule,
    compile_rule,
    compile_tree,
    positive_terms,
)
from smileback.common.rules.ruleset import RuleSet
from smileback.common.rules.syntax import (
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
    term_of,
)
from smileback.common.rules.tokens import is_token, tokens

__all__ = [
    "MAX_RULE_CHARS",
    "And",
    "CompiledRule",
    "Node",
    "Not",
    "Or",
    "RuleSet",
    "RuleSyntaxError",
    "Term",
    "TermKind",
    "compile_rule",
    "compile_tree",
    "is_token",
    "parse_rule",
    "positive_terms",
    "render_rule",
    "term_of",
    "tokens",
]
