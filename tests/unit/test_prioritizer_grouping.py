"""Pure similarity and grouping: deterministic, order-independent, pruned soundly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.prioritizer.grouping import (
    SIMILARITY_THRESHOLD,
    DemandText,
    components,
    group_id,
    keywords,
    min_shared_terms,
    same_scope,
    similar_to,
    similarity,
    stem,
    terms,
)

term_sets = st.frozensets(st.sampled_from([f"t{i}" for i in range(30)]), min_size=1, max_size=20)


def text(demand_id: str, words: str, function_code="reporting", service_id=None) -> DemandText:
    return DemandText(demand_id, function_code, service_id, frozenset(terms(words, "")))


def test_terms_drop_stop_words_and_fold_simple_inflections():
    assert terms("The reports are built by hand", "we rebuild reporting every week") == tuple(
        sorted({"report", "built", "hand", "rebuil", "week"}))
    assert stem("dependencies") == stem("dependency") == stem("depends")
    assert stem("process") == "proces" and stem("status") == "status"


def test_the_same_need_in_other_words_is_similar_and_another_need_is_not():
    a = terms("Weekly status report built by hand",
              "Every week we rebuild the status report by hand from three spreadsheets.")
    b = terms("Status report takes a day to build by hand",
              "Our analyst spends a day every week building the status report by hand.")
    c = terms("Risk log reviewed too rarely", "Risks turn into issues between monthly reviews.")
    assert similarity(a, b) >= SIMILARITY_THRESHOLD > similarity(a, c)


@given(term_sets, term_sets)
def test_similarity_is_symmetric_bounded_and_one_on_itself(a, b):
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0 and similarity(a, a) == 1.0


@given(term_sets, term_sets)
def test_the_token_index_bound_never_prunes_a_similar_pair(a, b):
    if similarity(a, b) >= SIMILARITY_THRESHOLD:
        assert len(a & b) >= min_shared_terms(len(a))
        assert len(a & b) >= min_shared_terms(len(b))


def test_scope_is_the_service_when_both_name_one_else_the_function():
    base = text("a", "status report", "reporting", "s1")
    assert same_scope(base, text("b", "x", "reporting", "s1"))
    assert not same_scope(base, text("b", "x", "reporting", "s2"))
    assert same_scope(base, text("b", "x", "reporting", None))
    assert not same_scope(base, text("b", "x", "risk", None))
    assert same_scope(text("a", "x", None), text("b", "y", None))
    found = similar_to(base, [text("b", "status report", "reporting", "s2"),
                              text("c", "status report", "reporting", None), base])
    assert found == [("c", 1.0)]


@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=30), st.randoms())
def test_groups_do_not_depend_on_the_order_links_arrived_in(edges, rnd: random.Random):
    def graph(order):
        links: dict[str, set[str]] = {str(n): set() for n in range(16)}
        for a, b in order:
            if a != b:
                links[str(a)].add(str(b))
                links[str(b)].add(str(a))
        return links

    shuffled = list(edges)
    rnd.shuffle(shuffled)
    first = set(components(map(str, range(16)), graph(edges)))
    assert first == set(components(reversed([str(n) for n in range(16)]), graph(shuffled)))
    assert sum(len(c) for c in first) == 16


def test_a_group_is_named_by_its_earliest_member_and_one_demand_is_no_group():
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert group_id({"b": now, "a": now + timedelta(days=1)}) == "b"
    assert group_id({"b": now, "a": now}) == "a"
    assert group_id({"a": now}) is None
    assert keywords([{"report", "status"}, {"report", "hand"}]) == ["report", "hand", "status"]
