"""Keeping the similarity links and demand groups current, one changed demand at a time.

A changed demand is compared only with open demands of a compatible scope that share enough terms
with it (the token index), never with everything; its links are replaced, and the groups of the
demands it touched (before and after) are recomputed from the stored links.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import and_, delete, func, or_, select

from services.prioritizer import grouping
from services.prioritizer.grouping import DemandText
from services.prioritizer.models import (
    DEMAND_COLUMNS,
    LINK_COLUMNS,
    TERM_COLUMNS,
    DemandLink,
    DemandTerm,
    DemandView,
)
from shared.db import UnitOfWork, for_ids, ids_param, insert_rows


def text_of(row: DemandView) -> DemandText:
    return DemandText(row.id, row.function_code, row.service_id, frozenset(row.terms or ()))


async def neighbours_of(uow: UnitOfWork, demand_ids: Iterable[str]) -> dict[str, list[str]]:
    """The stored similar open demands of each demand, by id."""
    demand_ids = list(set(demand_ids))
    found: dict[str, list[str]] = {demand_id: [] for demand_id in demand_ids}
    for demand_id, other_id in await for_ids(uow.session, _LINKS_OF, demand_ids):
        found[demand_id].append(other_id)
    return {demand_id: sorted(others) for demand_id, others in found.items()}


_LINKS, _DEMANDS, _TERMS = LINK_COLUMNS, DEMAND_COLUMNS, TERM_COLUMNS  # see models.py
_LINKS_OF = select(_LINKS.demand_id, _LINKS.other_id).where(_LINKS.demand_id.in_(ids_param()))


async def relink(uow: UnitOfWork, rows: list[DemandView], new: Collection[str] = ()) -> set[str]:
    """Replaces the terms and links of these demands; returns every demand whose links changed:
    they, but a new one that found no similar demand (it had no links and has none), and those
    they were or now are linked to. Links depend only on the two demands' texts and scopes, so
    relinking many demands at once gives what relinking them one after another would. `new`:
    those first stored in this transaction, which have no terms or links yet to look up or
    replace."""
    ids = [row.id for row in rows]
    stored = [demand_id for demand_id in ids if demand_id not in new]
    before = {other for others in (await neighbours_of(uow, stored)).values() for other in others}
    await for_ids(uow.session, _DELETE_TERMS, stored)
    await for_ids(uow.session, _DELETE_LINKS, stored)
    indexed = [row for row in rows if row.is_open and row.terms]
    await insert_rows(uow.session, DemandTerm.__table__,
                      [{"term": term, "demand_id": row.id} for row in indexed for term in row.terms])
    pairs: dict[tuple[str, str], float] = {}
    candidates = await _candidates(uow, indexed)  # after every term is in: they find each other
    for row in indexed:
        for other_id, score in grouping.similar_to(text_of(row), candidates.get(row.id, ())):
            pairs[(row.id, other_id)] = pairs[(other_id, row.id)] = score
    await insert_rows(uow.session, DemandLink.__table__, [
        {"demand_id": a, "other_id": b, "similarity": score} for (a, b), score in pairs.items()])
    linked = {b for _, b in pairs}
    return {demand_id for demand_id in ids if demand_id not in new or demand_id in linked} | before | linked


_DELETE_TERMS = delete(DemandTerm.__table__).where(_TERMS.demand_id.in_(ids_param()))
_STORED = ids_param()
_DELETE_LINKS = delete(DemandLink.__table__).where(
    or_(_LINKS.demand_id.in_(_STORED), _LINKS.other_id.in_(_STORED)))


async def _candidates(uow: UnitOfWork, rows: list[DemandView]) -> dict[str, list[DemandText]]:
    """For each demand, the open demands sharing at least θ·|terms| of its terms (the Jaccard
    bound), found through the token index: a self-join per chunk, not a query per demand."""
    needed = {row.id: grouping.min_shared_terms(len(row.terms)) for row in rows}
    shared: dict[str, list[str]] = {}
    for demand_id, other_id, count in await for_ids(uow.session, _SHARING_TERMS, list(needed)):
        if count >= needed[demand_id]:
            shared.setdefault(demand_id, []).append(other_id)
    texts = await _open_texts(uow, {other for others in shared.values() for other in others})
    return {demand_id: [texts[other] for other in others if other in texts]
            for demand_id, others in shared.items()}


_OURS, _THEIRS = DemandTerm.__table__.alias("ours"), DemandTerm.__table__.alias("theirs")
_SHARING_TERMS = (select(_OURS.c.demand_id, _THEIRS.c.demand_id, func.count())
                  .join(_THEIRS, and_(_THEIRS.c.term == _OURS.c.term,
                                      _THEIRS.c.demand_id != _OURS.c.demand_id))
                  .where(_OURS.c.demand_id.in_(ids_param()))
                  .group_by(_OURS.c.demand_id, _THEIRS.c.demand_id))


async def _open_texts(uow: UnitOfWork, demand_ids: set[str]) -> dict[str, DemandText]:
    return {demand_id: DemandText(demand_id, function_code, service_id, frozenset(terms or ()))
            for demand_id, function_code, service_id, terms
            in await for_ids(uow.session, _OPEN_TEXTS, sorted(demand_ids))}


_OPEN_TEXTS = select(_DEMANDS.id, _DEMANDS.function_code, _DEMANDS.service_id,
                     _DEMANDS.terms).where(_DEMANDS.id.in_(ids_param()), _DEMANDS.is_open)


async def regroup(uow: UnitOfWork, touched: Iterable[str]) -> set[str]:
    """Recomputes the groups reachable from `touched`; returns the group ids before and after."""
    links = await _component_links(uow, touched)
    rows = {row.id: row for row in await demands(uow, links)}
    group_ids: set[str] = set()
    for component in grouping.components(links, links):
        members = {demand_id: rows[demand_id].submitted_at for demand_id in component
                   if demand_id in rows}
        new_id = grouping.group_id(members)
        for demand_id in members:
            row = rows[demand_id]
            group_ids |= {gid for gid in (row.group_id, new_id) if gid}
            row.group_id = new_id
    await uow.session.flush()
    return group_ids


async def _component_links(uow: UnitOfWork, touched: Iterable[str]) -> dict[str, list[str]]:
    """The links of every demand reachable from `touched`, read breadth first from the store."""
    links: dict[str, list[str]] = {}
    frontier = set(touched)
    while frontier:
        found = await neighbours_of(uow, frontier)
        links |= found
        frontier = {other for others in found.values() for other in others} - set(links)
    return links


async def demands(uow: UnitOfWork, demand_ids: Iterable[str]) -> list[DemandView]:
    return await for_ids(uow.session, DEMANDS, demand_ids, scalars=True)


DEMANDS = select(DemandView).where(DemandView.id.in_(ids_param()))


async def group_members(uow: UnitOfWork, group_ids: Iterable[str]) -> dict[str, list[DemandView]]:
    """The open members of each group, earliest first."""
    found: dict[str, list[DemandView]] = {}
    rows = await for_ids(uow.session, _OPEN_MEMBERS, sorted(set(group_ids)), scalars=True)
    for row in sorted(rows, key=lambda row: (row.submitted_at, row.id)):
        found.setdefault(row.group_id, []).append(row)
    return found


_OPEN_MEMBERS = select(DemandView).where(DemandView.group_id.in_(ids_param()), DemandView.is_open)
