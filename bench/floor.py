"""The database's own floor: rows a benchmarked step wrote, written again by `sqlite3` alone.

No SQLAlchemy, no handlers, no Python beyond handing the driver tuples: what the same writes cost
SQLite on this machine, in the same run. A target below its floor cannot be met by the code
above the database, only by writing less.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from shared.db import SQLITE_PRAGMAS


@contextlib.contextmanager
def connection(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection set up as the services' are (shared.db.SQLITE_PRAGMAS)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        for pragma in SQLITE_PRAGMAS:
            db.execute(pragma)
        yield db


SCORE_COLUMNS = ("score", "explanation", "scored_at", "score_version", "segment", "base_score",
                 "counted_position", "aged_since", "aged_until")


def customer_change_ms(path: Path, customer_id: str) -> tuple[float, int]:
    """The writes of the last change to a customer's scores, again: each of its open rows."""
    return _rewrite_ms(path, "SELECT id FROM demands WHERE customer_id = ? AND is_open",
                       (customer_id,))


def event_ms(path: Path, cause_event_id: str) -> tuple[float, int]:
    """The writes of one event's score changes, again: each row whose score it changed."""
    return _rewrite_ms(path, "SELECT demand_id FROM score_history WHERE cause_event_id = ?",
                       (cause_event_id,))


def _rewrite_ms(path: Path, ids_sql: str, params: tuple) -> tuple[float, int]:
    """These demands' score rows written again in one transaction, each given the score,
    explanation, placement and time it holds, with the trail row and outbox row last written
    for each. Returns the milliseconds and the rows.

    The rows are first moved off those values (untimed): SQLite leaves a page untouched when a row
    is rewritten with the bytes it holds, and the step being measured wrote new values."""
    columns = ", ".join(SCORE_COLUMNS)
    with connection(path) as db:
        rows = db.execute(f"SELECT {columns}, id FROM demands WHERE id IN ({ids_sql})",
                          params).fetchall()
        trail = db.execute("SELECT demand_id, previous_score, score, policy_version, "
                           "cause_event_id, cause_type, at FROM score_history "
                           f"WHERE demand_id IN ({ids_sql}) ORDER BY id DESC LIMIT ?",
                           (*params, len(rows))).fetchall()
        outbox = db.execute("SELECT topic, key, event_type, payload, created_at FROM outbox "
                            f"WHERE key IN ({ids_sql}) ORDER BY id DESC LIMIT ?",
                            (*params, len(rows))).fetchall()
        db.execute("BEGIN")
        db.execute("UPDATE demands SET score = score + 1, explanation = '{}', base_score = -1, "
                   "counted_position = 0, scored_at = '2000-01-01 00:00:00.000000' "
                   f"WHERE id IN ({ids_sql})", params)
        db.execute("COMMIT")
        started = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(f"UPDATE demands SET {' = ?, '.join(SCORE_COLUMNS)} = ? WHERE id = ?", rows)
        db.executemany("INSERT INTO score_history (demand_id, previous_score, score, "
                       "policy_version, cause_event_id, cause_type, at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", trail)
        db.executemany("INSERT INTO outbox (event_id, topic, key, event_type, payload, created_at, "
                       "attempts) VALUES (?, ?, ?, ?, ?, ?, 0)",
                       [(str(uuid.uuid4()), *row) for row in outbox])
        db.execute("COMMIT")
        return (time.perf_counter() - started) * 1000, len(rows)


def copy_seconds(source: Path, target: Path, batch: int = 10_000) -> tuple[float, int]:
    """Every row of `source`'s tables inserted into a new database of the same schema at
    `target`, `batch` rows a transaction: what writing a rebuild's output costs SQLite alone.
    Returns the seconds and the rows."""
    with connection(source) as old, connection(target) as new:
        schema = old.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                             "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'index'").fetchall()
        tables = [name for kind, name, _ in schema if kind == "table"]
        contents = {name: old.execute(f'SELECT * FROM "{name}"').fetchall() for name in tables}
        for _, _, sql in schema:
            new.execute(sql)
        started = time.perf_counter()
        written = 0
        for name, rows in contents.items():
            if not rows:
                continue
            marks = ", ".join("?" * len(rows[0]))
            for start in range(0, len(rows), batch):
                new.execute("BEGIN")
                new.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows[start:start + batch])
                new.execute("COMMIT")
            written += len(rows)
        return time.perf_counter() - started, written
