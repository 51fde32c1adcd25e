"""Explanations as stored: a score's shared factors by key, read whole again.

An explanation lists ten factors, each with its inputs and its sentence: ~1.9 KB of JSON per
demand. That made a demand row a little over half a 4 KB page, so each page held one row (4.4 GB
at a million open items), and a 10,000-item customer change rewrote 19 MB of explanations. Nine
of the ten are shared by many items (the customer's strategic importance, a pain of 4 and 3, no
days waiting yet): each is stored once in `score_factors` under a digest of itself, and the row
keeps only its numbers and its key. The volume dampening, which holds the item's own undamped
score, and the age, whose days waiting the release before reads to place an item it rescores
from its stored explanation, stay whole.

Stored:  {"score", "policy_version",
          "factors": [{name, value, weight, contribution}, …, {the age and the dampening,
                      whole}],
          "keys": [the key of each factor given without its inputs, in order]}
Whole:   {"score", "policy_version", "factors": [{name, value, weight, contribution, inputs,
          explanation}, …]}, as the API and the events show it.

A factor given with its inputs is read as it is: rows written before `score_factors` existed
hold every factor so, and they are read alike (and compacted when next written). A release
before this one reads a stored explanation's factors as name, value, weight and contribution,
so it still reads and rescores these rows if it is rolled back to, showing the shared factors
without their inputs and sentences (docs/operations.md says how to roll back cleanly).

A key is the digest of what its factor says and `score_factors` rows are never changed or
removed, so a key reads as the same factor from any database: factors read or written once are
kept in memory (bounded), and a read asks the database only for keys it has not met. A write
stores only the factors this process has not yet seen committed to that database (a belief
dropped when a migration runs on it), so an event whose factors are all known costs no
statement for them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.prioritizer.models import ScoreFactorRow
from services.prioritizer.scoring import AGE, DAMPENING, Factor, Score
from shared.db import UnitOfWork, beliefs, for_ids, ids_param, insert_missing_rows

KEY_BYTES = 12  # 16 characters: collisions out of reach for any number of distinct factors
KEPT_IN_MEMORY = 50_000  # factors; past it the memory starts afresh (each is ~1 KB)
NUMBERS = ("name", "value", "weight", "contribution")
WHOLE = (AGE, DAMPENING)  # stored whole in the row (see above)
STORED_BELIEF = "score_factors.stored"  # shared.db.beliefs: keys seen committed to a database

_TABLE = ScoreFactorRow.__table__
_BODIES = select(_TABLE.c.key, _TABLE.c.body).where(_TABLE.c.key.in_(ids_param()))
_known: dict[str, Factor] = {}

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
        # By id(): the key and the numbers of each factor met, the factor held so its id stays its own.
        self._met: dict[int, tuple[Factor, str, dict[str, Any]]] = {}
        self._bodies: dict[str, dict[str, Any]] = {}

    def compact(self, score: Score) -> dict[str, Any]:
        entries, keys = [], []
        for factor in score.factors:
            if factor.name in WHOLE:
                entries.append(vars(factor))
                continue
            _, key, numbers = self._meet(factor)
            entries.append(numbers)
            keys.append(key)
        return {"score": score.score, "policy_version": score.policy_version, "factors": entries,
                "keys": keys}

    def _meet(self, factor: Factor) -> tuple[Factor, str, dict[str, Any]]:
        met = self._met.get(id(factor))
        if met is None:
            body = vars(factor)
            met = self._met[id(factor)] = (factor, factor_key(body),
                                           {name: body[name] for name in NUMBERS})
            self._bodies[met[1]] = body
            _remember(met[1], factor)
        return met

    async def store(self, uow: UnitOfWork) -> None:
        """Stores, in the write's transaction, the factors referred to that this process has not
        seen committed to this database; another process may have stored them (ON CONFLICT DO
        NOTHING). In key order, so two transactions storing the same new keys cannot deadlock."""
        stored = beliefs(uow.session.bind).setdefault(STORED_BELIEF, set())
        new = [{"key": key, "body": self._bodies[key]} for key in sorted(self._bodies)
               if key not in stored]
        if not new:
            return
        await insert_missing_rows(uow.session, _TABLE, new)

        def believe() -> None:
            if len(stored) >= KEPT_IN_MEMORY:
                stored.clear()
            stored.update(row["key"] for row in new)
        uow.on_committed(believe)


async def load(session: AsyncSession, explanations: Iterable[Mapping[str, Any]]) -> Lookup:
    """The factors these stored explanations refer to, by key: from memory, the rest read in one
    query. Pass it to `factors` or `whole`."""
    keys = {key for explanation in explanations for key in explanation.get("keys", ())}
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
    """A stored explanation's factors, in its order: one given with its inputs as it is, one
    given by its numbers as its key reads."""
    entries, keys = explanation.get("factors", ()), explanation.get("keys", ())
    by_key = [entry for entry in entries if "inputs" not in entry]
    if len(by_key) != len(keys):
        raise ValueError(f"a stored explanation gives {len(by_key)} factors by key and lists "
                         f"{len(keys)} keys")
    read = iter(lookup[key] for key in keys)
    return tuple(Factor(**entry) if "inputs" in entry else next(read) for entry in entries)


def whole(explanation: Mapping[str, Any], lookup: Lookup) -> dict[str, Any]:
    """A stored explanation as the API shows it."""
    return Score(explanation.get("score"), factors(explanation, lookup),
                 explanation.get("policy_version")).as_dict()


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
