"""One brand's rules (create, read, update, delete) and checking a rule without storing it.

A rule is parsed when it is written; a syntax error is a 422 whose error carries the
0-based `position` of the problem in the rule text. Every change is published to the
brand-rules topic before it is committed (`smileback.api.rule_events`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from smileback.api.deps import ADMIN, READ, ContextDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import count_rows, newest_first, split_page
from smileback.api.params import Cursor, Limit
from smileback.api.rule_events import publish_rule_changes, rule_event
from smileback.api.schemas import (
    BRAND_NAME_PATTERN,
    CountedPage,
    RuleCheckIn,
    RuleCheckOut,
    RuleIn,
    RuleOut,
)
from smileback.api.store import BrandRow, BrandRuleRow
from smileback.common.rules import Node, RuleSyntaxError, compile_rule, parse_rule, render_rule

__all__ = [
    "BrandName",
    "RuleId",
    "brand_or_404",
    "check_rule",
    "checked_rule",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "new_rule_row",
    "router",
    "rule_out",
    "rules_router",
    "update_rule",
]

BrandName = Annotated[str, Path(pattern=BRAND_NAME_PATTERN, description="The brand's name.")]
RuleId = Annotated[str, Path(min_length=1, max_length=32)]

router = APIRouter(prefix="/v1/brands/{brand}/rules", tags=["brands"])
rules_router = APIRouter(prefix="/v1/rules", tags=["brands"], dependencies=[Depends(READ)])


@rules_router.post("/check", response_model=RuleCheckOut, responses=documented(body=True))
def check_rule(body: RuleCheckIn) -> RuleCheckOut:
    """Parse a rule and, given a text, say whether it matches; nothing is stored."""
    try:
        compiled = compile_rule(body.query)
    except RuleSyntaxError as exc:
        return RuleCheckOut(
            valid=False, normalized=None, error=str(exc), position=exc.position, matches=None
        )
    return RuleCheckOut(
        valid=True,
        normalized=render_rule(compiled.tree),
        error=None,
        position=None,
        matches=compiled.matches(text=body.text) if body.text is not None else None,
    )


@router.get(
    "",
    response_model=CountedPage[RuleOut],
    responses=documented(404),
    dependencies=[Depends(READ)],
)
def list_rules(
    brand: BrandName, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> CountedPage[RuleOut]:
    """A brand's rules, newest first; `total` counts them all."""
    brand_or_404(session, brand)
    rules = select(BrandRuleRow).where(BrandRuleRow.brand == brand)
    query = newest_first(
        rules,
        at=BrandRuleRow.created_at,
        id_=BrandRuleRow.id,
        cursor=cursor,
        limit=limit,
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.created_at, row.id)
    )
    return CountedPage[RuleOut](
        items=[rule_out(row) for row in rows],
        next_cursor=next_cursor,
        total=count_rows(session, rules),
    )


@router.post(
    "",
    response_model=RuleOut,
    status_code=201,
    responses=documented(404, body=True),
    dependencies=[Depends(ADMIN)],
)
def create_rule(brand: BrandName, body: RuleIn, context: ContextDep) -> RuleOut:
    """Add a rule to a brand."""
    checked_rule(body.query, where="query")
    with context.sessions() as session, session.begin():
        brand_or_404(session, brand)
        row = new_rule_row(
            brand=brand, query=body.query, description=body.description, now=context.clock()
        )
        session.add(row)
        session.flush()
        publish_rule_changes(context, [rule_event(row, at=row.updated_at)])
        return rule_out(row)


@router.get(
    "/{rule_id}", response_model=RuleOut, responses=documented(404), dependencies=[Depends(READ)]
)
def get_rule(brand: BrandName, rule_id: RuleId, session: SessionDep) -> RuleOut:
    """One rule."""
    return rule_out(_rule_or_404(session, brand, rule_id))


@router.put(
    "/{rule_id}",
    response_model=RuleOut,
    responses=documented(404, body=True),
    dependencies=[Depends(ADMIN)],
)
def update_rule(brand: BrandName, rule_id: RuleId, body: RuleIn, context: ContextDep) -> RuleOut:
    """Replace a rule's text and description."""
    checked_rule(body.query, where="query")
    with context.sessions() as session, session.begin():
        row = _rule_or_404(session, brand, rule_id)
        row.query, row.description, row.updated_at = body.query, body.description, context.clock()
        session.flush()
        publish_rule_changes(context, [rule_event(row, at=row.updated_at)])
        return rule_out(row)


@router.delete(
    "/{rule_id}",
    status_code=204,
    response_class=Response,
    responses=documented(404),
    dependencies=[Depends(ADMIN)],
)
def delete_rule(brand: BrandName, rule_id: RuleId, context: ContextDep) -> Response:
    """Delete a rule."""
    with context.sessions() as session, session.begin():
        row = _rule_or_404(session, brand, rule_id)
        session.delete(row)
        session.flush()
        publish_rule_changes(context, [rule_event(row, at=context.clock(), deleted=True)])
    return Response(status_code=204)


def checked_rule(query: str, *, where: str) -> Node:
    """The parsed rule, or a 422 naming where the syntax error is."""
    try:
        return parse_rule(query)
    except RuleSyntaxError as exc:
        raise ApiError(
            status=422,
            code="invalid_rule",
            message=f"{where}: {exc}",
            position=exc.position,
        ) from exc


def new_rule_row(*, brand: str, query: str, description: str, now: datetime) -> BrandRuleRow:
    """A new rule row with a fresh id."""
    return BrandRuleRow(
        id=uuid.uuid4().hex[:16],
        brand=brand,
        query=query,
        description=description,
        created_at=now,
        updated_at=now,
    )


def rule_out(row: BrandRuleRow) -> RuleOut:
    """A stored rule as the API shows it (stored rules always parse)."""
    return RuleOut(
        id=row.id,
        brand=row.brand,
        query=row.query,
        normalized=render_rule(parse_rule(row.query)),
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def brand_or_404(session: Session, name: str) -> BrandRow:
    """The brand, or a 404."""
    row = session.get(BrandRow, name)
    if row is None:
        raise ApiError(status=404, code="not_found", message=f"no brand {name!r}")
    return row


def _rule_or_404(session: Session, brand: str, rule_id: str) -> BrandRuleRow:
    row = session.get(BrandRuleRow, rule_id)
    if row is None or row.brand != brand:
        raise ApiError(status=404, code="not_found", message=f"no rule {rule_id!r} in {brand!r}")
    return row
