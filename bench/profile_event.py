"""Profiles one demand event on a 10,000-item backlog with pyinstrument (what ranking.py times)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from pyinstrument import Profiler

from bench.ranking import load, one_event, prioritizer_database


async def main(size: int = 10_000) -> None:
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        db = await prioritizer_database(Path(tmp) / "profile.db")
        try:
            _, others = await load(db, size)
            profiler = Profiler(async_mode="enabled")
            with profiler:
                await one_event(db, others[0])
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        finally:
            await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
