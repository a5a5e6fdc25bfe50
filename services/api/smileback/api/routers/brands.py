"""Brands: create, read, update, delete (rules come along; see brand_rules for one rule)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smileback.api.deps import ADMIN, READ, ContextDep, SessionDep
from smileback.api.errors import ApiError, documented
from smileback.api.pagination import count_rows, newest_first, split_page
from smileback.api.params import Cursor, Limit
from smileback.api.routers.brand_rules import (
    BrandName,
    brand_or_404,
    checked_rule,
    new_rule_row,
    rule_out,
)
from smileback.api.rule_events import publish_rule_changes, rule_event
from smileback.api.schemas import BrandIn, BrandOut, BrandUpdate, CountedPage
from smileback.api.store import BrandRow, BrandRuleRow

__all__ = ["create_brand", "delete_brand", "get_brand", "list_brands", "router", "update_brand"]

router = APIRouter(prefix="/v1/brands", tags=["brands"])


@router.get(
    "", response_model=CountedPage[BrandOut], responses=documented(), dependencies=[Depends(READ)]
)
def list_brands(
    session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> CountedPage[BrandOut]:
    """Brands with their rules, most recently created first; `total` counts them all."""
    query = newest_first(
        select(BrandRow), at=BrandRow.created_at, id_=BrandRow.name, cursor=cursor, limit=limit
    )
    rows, next_cursor = split_page(
        session.scalars(query).all(), limit=limit, key=lambda row: (row.created_at, row.name)
    )
    return CountedPage[BrandOut](
        items=_brands_out(session, rows),
        next_cursor=next_cursor,
        total=count_rows(session, select(BrandRow)),
    )


@router.post(
    "",
    response_model=BrandOut,
    status_code=201,
    responses=documented(409, body=True),
    dependencies=[Depends(ADMIN)],
)
def create_brand(body: BrandIn, context: ContextDep) -> BrandOut:
    """Create a brand, optionally with rules; a rule's syntax error is a 422 with its position."""
    for i, rule in enumerate(body.rules):
        checked_rule(rule.query, where=f"rules[{i}].query")
    now = context.clock()
    with context.sessions() as session, session.begin():
        if session.get(BrandRow, body.name, with_for_update=True) is not None:
            raise ApiError(status=409, code="conflict", message=f"brand {body.name!r} exists")
        session.add(
            BrandRow(name=body.name, description=body.description, created_at=now, updated_at=now)
        )
        session.flush()
        rows = [
            new_rule_row(brand=body.name, query=rule.query, description=rule.description, now=now)
            for rule in body.rules
        ]
        session.add_all(rows)
        session.flush()
        publish_rule_changes(context, [rule_event(row, at=now) for row in rows])
        return _brand_out(session, brand_or_404(session, body.name))


@router.get(
    "/{brand}",
    response_model=BrandOut,
    responses=documented(404),
    dependencies=[Depends(READ)],
)
def get_brand(brand: BrandName, session: SessionDep) -> BrandOut:
    """One brand with its rules."""
    return _brand_out(session, brand_or_404(session, brand))


@router.put(
    "/{brand}",
    response_model=BrandOut,
    responses=documented(404, body=True),
    dependencies=[Depends(ADMIN)],
)
def update_brand(brand: BrandName, body: BrandUpdate, context: ContextDep) -> BrandOut:
    """Change a brand's description."""
    with context.sessions() as session, session.begin():
        row = brand_or_404(session, brand)
        row.description = body.description
        row.updated_at = context.clock()
        session.flush()
        return _brand_out(session, row)


@router.delete(
    "/{brand}",
    status_code=204,
    response_class=Response,
    responses=documented(404),
    dependencies=[Depends(ADMIN)],
)
def delete_brand(brand: BrandName, context: ContextDep) -> Response:
    """Delete a brand and its rules (its stored mentions and incidents stay)."""
    with context.sessions() as session, session.begin():
        brand_or_404(session, brand)
        rules = session.scalars(select(BrandRuleRow).where(BrandRuleRow.brand == brand)).all()
        # The rules go by ON DELETE CASCADE (SQLite has foreign keys switched on).
        session.execute(delete(BrandRow).where(BrandRow.name == brand))
        at = context.clock()
        publish_rule_changes(context, [rule_event(row, at=at, deleted=True) for row in rules])
    return Response(status_code=204)


def _brand_out(session: Session, row: BrandRow) -> BrandOut:
    return _brands_out(session, [row])[0]


def _brands_out(session: Session, rows: Sequence[BrandRow]) -> list[BrandOut]:
    """Brands with their rules (oldest rule first), in one query for all the rules."""
    rules = session.scalars(
        select(BrandRuleRow)
        .where(BrandRuleRow.brand.in_([row.name for row in rows]))
        .order_by(BrandRuleRow.created_at, BrandRuleRow.id)
    ).all()
    return [
        BrandOut(
            name=row.name,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            rules=[rule_out(rule) for rule in rules if rule.brand == row.name],
        )
        for row in rows
    ]
