"""The collector tuning every service applies at start-up (shared.memory)."""

import gc

from shared.memory import YOUNG_GENERATION_THRESHOLD, tune_garbage_collection


def test_tuning_raises_the_young_threshold_and_freezes_once():
    before = gc.get_threshold()
    try:
        tune_garbage_collection()
        assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        frozen = gc.get_freeze_count()
        garbage = [[]]
        garbage[0].append(garbage)  # a cycle made after the first tuning stays collectable
        del garbage
        tune_garbage_collection()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.set_threshold(*before)
