"""Explanations stored compactly: shared factors by the digest of what they say, read whole."""

from __future__ import annotations

from dataclasses import replace

import orjson
from hypothesis import given, settings

from services.prioritizer import explanations
from services.prioritizer.ranking import score_customer_items
from services.prioritizer.scoring import DAMPENING, Factor, score_demand
from test_scoring import NOW, POLICY, demands


def lookup_of(*scores) -> dict[str, Factor]:
    return {explanations.factor_key(vars(f)): f for score in scores for f in score.factors
            if f.name != DAMPENING}


@settings(max_examples=100, deadline=None)
@given(demands)
def test_a_compacted_explanation_reads_whole_as_the_score_explains_itself(item):
    score = score_demand(item, POLICY, NOW)
    stored = explanations.Compactor().compact(score)
    *shared, dampening = stored["factors"]
    assert all(set(entry) == {"name", "value", "weight", "contribution"} for entry in shared)
    assert len(stored["keys"]) == len(shared) == 9
    assert all(isinstance(key, str) and len(key) == 16 for key in stored["keys"])
    assert dampening == vars(score.factors[-1]) and dampening["name"] == DAMPENING
    assert explanations.whole(stored, lookup_of(score)) == score.as_dict()


@settings(max_examples=100, deadline=None)
@given(demands)
def test_the_release_before_still_reads_a_compacted_explanation(item):
    """It read each stored factor as Factor(**entry) and summed contributions: a rollback to it
    shows the same scores and factors, without their inputs and sentences."""
    score = score_demand(item, POLICY, NOW)
    stored = orjson.loads(orjson.dumps(explanations.Compactor().compact(score)))
    read = [Factor(**entry) for entry in stored["factors"]]
    assert [(f.name, f.value, f.weight, f.contribution) for f in read] == [
        (f.name, f.value, f.weight, f.contribution) for f in score.factors]
    assert abs(sum(f.contribution for f in read) - stored["score"]) < 1e-5


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
    # Fifty items with the same inputs share their nine undamped Factor objects: nine digests,
    # nine factors to store, and one list of keys.
    assert len(digests) == 9
    assert len({tuple(s["keys"]) for s in stored}) == 1
    assert len(compactor._bodies) == 9
