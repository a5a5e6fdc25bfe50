"""The alert policy as data: per-brand rules with the defaults from DESIGN.md, loaded from YAML.

A policy file has `defaults` (every brand) and `brands` (per-brand overrides, merged key by
key over the defaults). Every key is checked; an unknown or invalid one is refused at start
with the file, its line and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smileback.common.events import ReachTier, Severity
from smileback.common.rules import is_token
from smileback.common.yamlconf import Located, read_yaml, validate_located

__all__ = [
    "BrandPolicy",
    "LargeAudienceRule",
    "PagerDutySeverity",
    "PileOnRule",
    "Policy",
    "Probability",
    "QueueRule",
    "SmileBackRule",
    "SurgeRule",
    "brand_handles",
    "load_policy",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PagerDutySeverity = Literal["critical", "error", "warning", "info"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LargeAudienceRule(_Strict):
    """Page: a confident complaint from an author with a large audience."""

    enabled: bool = True
    min_negativity: Probability = 0.8
    tiers: frozenset[ReachTier] = frozenset({ReachTier.MACRO, ReachTier.MEGA})
    severity: Severity = Severity.CRITICAL


class PileOnRule(_Strict):
    """Page: negative replies and quotes of one thread are accelerating."""

    enabled: bool = True
    min_velocity: Annotated[float, Field(ge=0.0)] = 1.0  # negative replies per minute
    min_risk: Probability = 0.5
    severity: Severity = Severity.WARNING


class SurgeRule(_Strict):
    """Page: the brand's negative volume is well above its own recent baseline."""

    enabled: bool = True
    min_ratio: Annotated[float, Field(gt=1.0)] = 3.0
    min_negatives: Annotated[int, Field(ge=1)] = 20
    # Groups pages into one surge incident per brand and window; the count itself is always
    # the last hour, because the scorer's baseline is per hour.
    window_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    severity: Severity = Severity.WARNING


class QueueRule(_Strict):
    """A human queue that does not page (triage, smile-back)."""

    enabled: bool = True


class SmileBackRule(QueueRule):
    """The smile-back queue: kind mentions addressed to the brand, and thank-yous to it that
    the model leans negative on without confidence ("thanks for finding my lost keys")."""

    # A thank-you below this negativity reaches smile-back even when the model calls it
    # negative; at or above it, it goes to triage (the model may have read sarcasm).
    thanks_max_negativity: Probability = 0.6


class BrandPolicy(_Strict):
    """Everything the policy decides for one brand."""

    handles: tuple[str, ...] = ()
    large_audience_complaint: LargeAudienceRule = LargeAudienceRule()
    pile_on: PileOnRule = PileOnRule()
    brand_surge: SurgeRule = SurgeRule()
    triage: QueueRule = QueueRule()
    smile_back: SmileBackRule = SmileBackRule()
    # None: incidents stay open until a human resolves them.
    resolve_after_quiet_minutes: Annotated[float, Field(gt=0)] | None = 60.0
    escalation_policy: Annotated[str, Field(min_length=1)] = "default"
    # A resolved incident whose thread meets a paging rule again within this many hours
    # reopens and pages again; None: a resolved incident stays resolved.
    reopen_within_hours: Annotated[float, Field(gt=0)] | None = 24.0
    # Flapping guard: reopenings of one thread that page within an hour; the next one reopens
    # the incident without a page and keeps it open until a human resolves it.
    max_reopens_per_hour: Annotated[int, Field(ge=0)] = 3
    pagerduty_severity: dict[Severity, PagerDutySeverity] = {
        Severity.CRITICAL: "critical",
        Severity.WARNING: "warning",
        Severity.INFO: "info",
    }

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        handles = tuple("@" + h.strip().lstrip("@") for h in value)
        bad = [h for h, handle in zip(value, handles, strict=True) if not is_token(handle)]
        if bad:
            raise ValueError(f"handles must be single words like @acmehelp, not {bad[0]!r}")
        return handles

    @field_validator("pagerduty_severity")
    @classmethod
    def _every_severity(
        cls, value: dict[Severity, PagerDutySeverity]
    ) -> dict[Severity, PagerDutySeverity]:
        missing = [str(s) for s in Severity if s not in value]
        if missing:
            raise ValueError(f"needs a PagerDuty severity for {', '.join(missing)}")
        return value


class _PolicyFile(_Strict):
    version: Literal[1] = 1
    defaults: dict[str, Any] = {}
    brands: dict[Annotated[str, Field(min_length=1)], dict[str, Any] | None] = {}


@dataclass(frozen=True)
class Policy:
    """Per-brand policies over shared defaults."""

    defaults: BrandPolicy = field(default_factory=BrandPolicy)
    brands: Mapping[str, BrandPolicy] = field(default_factory=dict)

    def for_brand(self, brand: str) -> BrandPolicy:
        """The brand's policy, or the defaults for a brand the file does not name."""
        return self.brands.get(brand, self.defaults)

    def with_handles(self, handles: Mapping[str, Sequence[str]]) -> Policy:
        """Add @handles per brand (e.g. from SMILEBACK_BRANDS) to those the file lists."""
        brands = dict(self.brands)
        for brand, extra in handles.items():
            base = brands.get(brand, self.defaults)
            merged = tuple(dict.fromkeys([*base.handles, *extra]))
            brands[brand] = base.model_copy(update={"handles": BrandPolicy(handles=merged).handles})
        return Policy(defaults=self.defaults, brands=brands)

    def longest_reopen_window(self) -> timedelta | None:
        """The longest time any brand (or the defaults) lets a resolved incident reopen."""
        hours = [
            p.reopen_within_hours
            for p in [self.defaults, *self.brands.values()]
            if p.reopen_within_hours is not None
        ]
        return timedelta(hours=max(hours)) if hours else None

    def escalation_policy_names(self) -> set[str]:
        """Every escalation policy some brand (or the defaults) refers to."""
        names = {p.escalation_policy for p in self.brands.values()}
        return names | {self.defaults.escalation_policy}


def load_policy(path: str | Path) -> Policy:
    """Read and check a policy file; ConfigError naming the file, line and reason."""
    doc = read_yaml(path)
    whole = Located(prefix=(), doc=doc, at=())
    top = validate_located(_PolicyFile, doc.data, sources=[whole])
    defaults_at = Located(prefix=(), doc=doc, at=("defaults",))
    defaults = validate_located(BrandPolicy, top.defaults, sources=[defaults_at])
    brands = {
        brand: validate_located(
            BrandPolicy,
            _merge(top.defaults, raw or {}),
            sources=[Located(prefix=(), doc=doc, at=("brands", brand)), defaults_at],
        )
        for brand, raw in top.brands.items()
    }
    return Policy(defaults=defaults, brands=brands)


def brand_handles(brands: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each brand's @handles among its match terms (as in SMILEBACK_BRANDS)."""
    return {
        brand: tuple(term for term in terms if term.startswith("@") and is_token(term))
        for brand, terms in brands.items()
    }


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, mappings merged key by key, everything else replaced."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = _merge(old, value)
        else:
            out[key] = value
    return out
