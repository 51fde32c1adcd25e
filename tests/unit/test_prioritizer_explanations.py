"""Explanations stored compactly: shared factors by the digest of what they say, read whole."""

from __future__ import annotations

from dataclasses import replace

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
    assert all(isinstance(key, str) and len(key) == 16 for key in shared)
    assert dampening == vars(score.factors[-1]) and dampening["name"] == DAMPENING
    assert explanations.whole(stored, lookup_of(score)) == score.as_dict()


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
        def _key(self, factor):
            if id(factor) not in self._keys:
                digests.append(factor.name)
            return super()._key(factor)

    same = [replace(item, demand_id=f"d{n}") for n in range(50)]
    ranked = score_customer_items(same, POLICY, {d.demand_id: NOW for d in same})
    compactor = Counting()
    stored = [compactor.compact(r.score) for r in ranked]
    # Fifty items with the same inputs share their nine undamped Factor objects: nine digests,
    # nine factors to store, and one list of keys.
    assert len(digests) == 9
    assert len({tuple(s["factors"][:-1]) for s in stored}) == 1
    assert len(compactor._bodies) == 9
