"""Topics a test or a benchmark makes on the shared local broker, each run under a prefix of its
own, and their removal when it ends.

`make test` and the benchmarks use the broker `make run` starts (data in var/kafka). A prefix's
topics left behind stay on disk, and the broker loads every partition again at each start: a
checkout that had run the suite a few dozen times held 7,000 partitions, and `make run` took
28 s to be ready instead of 8 (issue 9: under 30 s). So whatever makes them deletes them, as
the PostgreSQL test databases are dropped after each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from shared.bus import bounded, kafka_admin

SCRATCH = "scratch-"
_MADE: list[str] = []


def scratch_prefix(tag: str) -> str:
    """A new topic prefix for one run (`scratch-<tag><8 hex>.`), remembered for `made()`."""
    prefix = f"{SCRATCH}{tag}{uuid.uuid4().hex[:8]}."
    _MADE.append(prefix)
    return prefix


def made() -> list[str]:
    """The prefixes this process handed out."""
    return list(_MADE)


async def delete_topics(bootstrap: str, prefixes: Iterable[str], timeout: float = 30.0) -> int:
    """Deletes every topic whose name starts with one of `prefixes` (their `.dlq` topics too);
    returns how many. A prefix never used leaves nothing to delete."""
    wanted = tuple(prefixes)
    if not wanted:
        return 0
    async with kafka_admin(bootstrap, timeout) as admin:
        names = [name for name in await bounded(admin.list_topics(), timeout)
                 if name.startswith(wanted)]
        if names:
            await bounded(admin.delete_topics(names), timeout)
        return len(names)
