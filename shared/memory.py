"""The garbage collector, tuned for services that hold a large heap and allocate in bursts."""

from __future__ import annotations

import gc

# CPython's default first threshold (700 allocations) runs a young collection every few hundred
# objects and a full one every 70,000: a rescore that builds ten thousand explanations then walks
# the whole heap several times, which cost about a third of its time. Cycles are rare here (rows,
# dicts and events are dropped, not linked in loops), so collecting less often costs little memory.
YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collection() -> None:
    """Collect less often, and leave what the first start-up built (modules, settings, the app)
    out of every future collection; once per process, so a process that starts many apps (the
    tests) does not freeze each one's garbage."""
    young, middle, old = gc.get_threshold()
    if young == YOUNG_GENERATION_THRESHOLD:
        return
    gc.collect()  # what start-up dropped is freed, not frozen
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
