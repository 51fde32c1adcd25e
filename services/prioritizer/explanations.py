"""Explanations as stored: a score's shared factors by key, read whole again.

An explanation lists ten factors, each with its inputs and its sentence: ~1.9 KB of JSON per
demand. That made a demand row a little over half a 4 KB page, so each page held one row (4.4 GB
at a million open items), and a 10,000-item customer change rewrote 19 MB of explanations. Nine
of the ten are shared by many items (the customer's strategic importance, a pain of 4 and 3, no
days waiting yet): each is stored once in `score_factors` under a digest of itself, and the row
lists the keys. The volume dampening, which holds the item's own undamped score, stays whole.

Stored:  {"score", "policy_version", "factors": [key, …, key, {dampening}]}
Whole:   {"score", "policy_version", "factors": [{name, value, weight, contribution, inputs,
         explanation}, …]}, as the API and the events show it.

A key is the digest of what its factor says and `score_factors` rows are never changed or
removed, so a key reads as the same factor from any database: factors read or written once are
kept in memory (bounded), and a read asks the database only for keys it has not met. A write
stores only the factors this process has not yet seen committed to that database, so an event
whose factors are all known costs no statement for them.
"""

from __future__ import annotations

import base64
import hashlib
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.prioritizer.models import ScoreFactorRow
from services.prioritizer.scoring import DAMPENING, Factor, Score
from shared.db import UnitOfWork, for_ids, ids_param, insert_missing_rows

KEY_BYTES = 12  # 16 characters: collisions out of reach for any number of distinct factors
KEPT_IN_MEMORY = 50_000  # factors; past it the memory starts afresh (each is ~1 KB)

_TABLE = ScoreFactorRow.__table__
_BODIES = select(_TABLE.c.key, _TABLE.c.body).where(_TABLE.c.key.in_(ids_param()))
_known: dict[str, Factor] = {}
# Per database (its engine): keys this process stored there in transactions that committed.
_committed: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

Lookup = Mapping[str, Factor]


def factor_key(body: Mapping[str, Any]) -> str:
    """The key a factor is stored under: a digest of everything it says."""
    digest = hashlib.blake2b(orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
                             digest_size=KEY_BYTES).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Compactor:
    """The stored form of one write's explanations, and the factors they refer to: each Factor
    object is digested once, since a customer change scores thousands of items from a few dozen
    shared ones (scoring.undamped_factors)."""

    def __init__(self) -> None:
        self._keys: dict[int, tuple[Factor, str]] = {}  # by id(), the factor held so it stays its own
        self._bodies: dict[str, dict[str, Any]] = {}

    def compact(self, score: Score) -> dict[str, Any]:
        return {"score": score.score, "policy_version": score.policy_version,
                "factors": [vars(factor) if factor.name == DAMPENING else self._key(factor)
                            for factor in score.factors]}

    def _key(self, factor: Factor) -> str:
        known = self._keys.get(id(factor))
        if known is None:
            known = self._keys[id(factor)] = (factor, factor_key(vars(factor)))
            self._bodies[known[1]] = vars(factor)
            _remember(known[1], factor)
        return known[1]

    async def store(self, uow: UnitOfWork) -> None:
        """Stores, in the write's transaction, the factors referred to that this process has not
        seen committed to this database; another process may have stored them (ON CONFLICT DO
        NOTHING)."""
        committed = _committed.setdefault(uow.session.bind.sync_engine, set())
        new = [{"key": key, "body": body} for key, body in self._bodies.items()
               if key not in committed]
        if not new:
            return
        await insert_missing_rows(uow.session, _TABLE, new)

        def believe() -> None:
            if len(committed) >= KEPT_IN_MEMORY:
                committed.clear()
            committed.update(row["key"] for row in new)
        uow.on_committed(believe)


async def load(session: AsyncSession, explanations: Iterable[Mapping[str, Any]]) -> Lookup:
    """The factors these stored explanations refer to, by key: from memory, the rest read in one
    query. Pass it to `factors` or `whole`."""
    keys = {entry for explanation in explanations for entry in explanation.get("factors", ())
            if isinstance(entry, str)}
    lookup = {key: _known[key] for key in keys if key in _known}
    missing = sorted(keys - lookup.keys())
    if missing:
        for key, body in await for_ids(session, _BODIES, missing):
            lookup[key] = _remember(key, Factor(**body))
        lost = keys - lookup.keys()
        if lost:  # rows are never removed: a lost one is a damaged database, not a bad request
            raise LookupError(f"score factors {sorted(lost)[:3]} are referred to but not stored")
    return lookup


def factors(explanation: Mapping[str, Any], lookup: Lookup) -> tuple[Factor, ...]:
    """A stored explanation's factors, in its order."""
    return tuple(lookup[entry] if isinstance(entry, str) else Factor(**entry)
                 for entry in explanation.get("factors", ()))


def whole(explanation: Mapping[str, Any], lookup: Lookup) -> dict[str, Any]:
    """A stored explanation as the API shows it."""
    return {"score": explanation.get("score"), "policy_version": explanation.get("policy_version"),
            "factors": [vars(factor) for factor in factors(explanation, lookup)]}


async def read_whole(session: AsyncSession,
                     explanations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """These stored explanations, whole."""
    explanations = list(explanations)
    lookup = await load(session, explanations)
    return [whole(explanation, lookup) for explanation in explanations]


def _remember(key: str, factor: Factor) -> Factor:
    if len(_known) >= KEPT_IN_MEMORY:
        _known.clear()
    _known[key] = factor
    return factor
