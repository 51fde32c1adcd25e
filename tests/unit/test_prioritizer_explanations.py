"""Explanations stored compactly: shared factors by the digest of what they say, read whole."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest
from hypothesis import given, settings

from services.prioritizer import explanations
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import AGE, DAMPENING, Backer, DemandInput, Factor, score_demand
from test_scoring import NOW, POLICY, demands


def lookup_of(*scores) -> dict[str, Factor]:
    return {explanations.factor_key(vars(f)): f for score in scores for f in score.factors
            if f.name not in explanations.WHOLE}


@settings(max_examples=100, deadline=None)
@given(demands)
def test_a_compacted_explanation_reads_whole_as_the_score_explains_itself(item):
    score = score_demand(item, POLICY, NOW)
    stored = explanations.Compactor().compact(score)
    whole = [entry for entry in stored["factors"] if "inputs" in entry]
    shared = [entry for entry in stored["factors"] if "inputs" not in entry]
    assert whole == [vars(f) for f in score.factors if f.name in (AGE, DAMPENING)]
    assert all(set(entry) == {"name", "value", "weight", "contribution"} for entry in shared)
    assert len(stored["keys"]) == len(shared) == 8
    assert all(isinstance(key, str) and len(key) == 16 for key in stored["keys"])
    assert explanations.whole(stored, lookup_of(score)) == score.as_dict()


@settings(max_examples=100, deadline=None)
@given(demands)
def test_the_release_before_still_reads_a_compacted_explanation(item):
    """It read each stored factor as Factor(**entry), summed contributions, and placed an item
    it rescored from its stored explanation by the age factor's days waiting: a rollback to it
    shows and rescores the same scores, the shared factors without inputs and sentences."""
    score = score_demand(item, POLICY, NOW)
    stored = orjson.loads(orjson.dumps(explanations.Compactor().compact(score)))
    read = [Factor(**entry) for entry in stored["factors"]]
    assert [(f.name, f.value, f.weight, f.contribution) for f in read] == [
        (f.name, f.value, f.weight, f.contribution) for f in score.factors]
    assert abs(sum(f.contribution for f in read) - stored["score"]) < 1e-5
    age = next(f for f in read if f.name == AGE)
    assert age.inputs["days_waiting"] == next(
        f for f in score.factors if f.name == AGE).inputs["days_waiting"]
    assert next(f for f in read if f.name == DAMPENING).inputs["counted_as_position"] >= 1


def test_a_stored_explanation_whose_keys_do_not_match_its_factors_is_refused():
    item = DemandInput(demand_id="d1", kind="pain_point", function_code=None, severity=3,
                       urgency=3, reach=10, effort_estimate=5, submitted_at=NOW,
                       requester=Backer("c1", "executive", 4, 3))
    stored = explanations.Compactor().compact(score_demand(item, POLICY, NOW))
    with pytest.raises(ValueError, match="8 factors by key and lists 7 keys"):
        explanations.factors({**stored, "keys": stored["keys"][1:]}, {})


@settings(max_examples=50, deadline=None)
@given(demands)
def test_an_explanation_stored_whole_by_the_release_before_reads_as_it_was(item):
    score = score_demand(item, POLICY, NOW)
    older = orjson.loads(orjson.dumps(score.as_dict()))
    assert explanations.whole(older, {}) == older


def test_a_key_is_what_the_factor_says_not_how_its_dict_is_ordered():
    body = {"name": "pain", "value": 0.5, "weight": 0.18, "contribution": 0.09,
            "inputs": {"severity": 3, "urgency": 3}, "explanation": "severity 3/5, urgency 3/5"}
    reordered = dict(reversed(list(body.items())))
    assert explanations.factor_key(body) == explanations.factor_key(reordered)
    for name, other in (("value", 0.51), ("weight", 0.2), ("inputs", {"severity": 3, "urgency": 4}),
                        ("explanation", "severity 3/5, urgency 4/5")):
        assert explanations.factor_key(body | {name: other}) != explanations.factor_key(body)


@settings(max_examples=20, deadline=None)
@given(demands)
def test_a_customer_of_many_items_digests_each_shared_factor_once(item):
    digests = []

    class Counting(explanations.Compactor):
        def _meet(self, factor):
            if id(factor) not in self._met:
                digests.append(factor.name)
            return super()._meet(factor)

    same = [replace(item, demand_id=f"d{n}") for n in range(50)]
    ranked = score_customer_items(same, POLICY, {d.demand_id: NOW for d in same})
    compactor = Counting()
    stored = [compactor.compact(r.score) for r in ranked]
    # Fifty items with the same inputs share their undamped Factor objects: eight digests (the
    # age is stored whole), eight factors to store, and one list of keys.
    assert len(digests) == 8
    assert len({tuple(s["keys"]) for s in stored}) == 1
    assert len(compactor._bodies) == 8
