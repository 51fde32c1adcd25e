"""Repeat demand detected from text: which open demands describe the same need. Pure, deterministic.

Two open demands are *similar* when they concern the same service (or, lacking services on both,
the same function) and the Jaccard similarity of their term sets reaches SIMILARITY_THRESHOLD.
Terms are the title, problem and tags, lower-cased, stop words removed, crudely stemmed. The
similarity graph is a pure function of the open demands' texts, so replaying the events in any
order yields the same links; a *group* is a connected component of that graph, named by its
earliest member.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

SIMILARITY_THRESHOLD = 0.3
MAX_TERMS = 64
STEM_LENGTH = 6
MIN_WORD_LENGTH = 3

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can cannot could did do does doing done down during each even ever every
few for from further get gets got had has have having he her here hers him his how however i if in
into is it its itself just let lets like made make makes many may me more most much must my need
needs no nor not now of off on once one only or other others our ours ourselves out over own per
please same she should since so some still such than that the their theirs them themselves then
there these they this those though through thus to too under until up upon us very via was we
were what when where which while who whom whose why will with within without would yet you your
yours
""".split())

_WORD = re.compile(r"[a-z][a-z0-9]*")
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))


@dataclass(frozen=True)
class DemandText:
    """What similarity looks at for one open demand."""

    demand_id: str
    function_code: str | None
    service_id: str | None
    terms: frozenset[str]


def stem(word: str) -> str:
    """A crude, deterministic stem: one common suffix stripped, then cut to STEM_LENGTH letters."""
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_WORD_LENGTH \
                and not (suffix == "s" and word.endswith(("ss", "us", "is"))):
            word = word[: -len(suffix)] + replacement
            break
    return word[:STEM_LENGTH]


def terms(title: str, problem: str, tags: Iterable[str] = ()) -> tuple[str, ...]:
    """The sorted, distinct terms of a demand's text; the first MAX_TERMS by first appearance."""
    text = " ".join([title, problem, *tags]).lower()
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        if len(word) < MIN_WORD_LENGTH or word in STOP_WORDS:
            continue
        seen.setdefault(stem(word), None)
        if len(seen) >= MAX_TERMS:
            break
    return tuple(sorted(seen))


def similarity(a: Collection[str], b: Collection[str]) -> float:
    """Jaccard similarity of two term sets, 0..1."""
    if not a or not b:
        return 0.0
    a, b = set(a), set(b)
    return len(a & b) / len(a | b)


def min_shared_terms(term_count: int) -> int:
    """Jaccard ≥ θ needs |A ∩ B| ≥ θ·|A| (as |A ∪ B| ≥ |A|): how the token index prunes candidates."""
    return max(1, math.ceil(SIMILARITY_THRESHOLD * term_count - 1e-9))


def same_scope(a: DemandText, b: DemandText) -> bool:
    """Same service when both name one; otherwise the same function (both unset counts as the same)."""
    if a.service_id and b.service_id:
        return a.service_id == b.service_id
    return a.function_code == b.function_code


def similar_to(item: DemandText, candidates: Iterable[DemandText]) -> list[tuple[str, float]]:
    """The candidates that describe the same need as `item`, with their similarity, by id."""
    found = []
    for other in candidates:
        if other.demand_id == item.demand_id or not same_scope(item, other):
            continue
        score = similarity(item.terms, other.terms)
        if score >= SIMILARITY_THRESHOLD:
            found.append((other.demand_id, round(score, 4)))
    return sorted(found)


def components(nodes: Iterable[str], links: Mapping[str, Collection[str]]) -> list[frozenset[str]]:
    """Connected components of the similarity graph reachable from `nodes`, in a stable order."""
    seen: set[str] = set()
    found = []
    for start in sorted(set(nodes)):
        if start in seen:
            continue
        component, frontier = {start}, [start]
        while frontier:
            node = frontier.pop()
            for other in links.get(node, ()):
                if other not in component:
                    component.add(other)
                    frontier.append(other)
        seen |= component
        found.append(frozenset(component))
    return found


def group_id(members: Mapping[str, datetime]) -> str | None:
    """A group is named by its earliest member (submitted_at, then id); one demand is no group."""
    if len(members) < 2:
        return None
    return min(members, key=lambda demand_id: (members[demand_id], demand_id))


def keywords(term_sets: Iterable[Collection[str]], limit: int = 5) -> list[str]:
    """The terms most members share, most shared first, ties alphabetical."""
    counts = Counter(term for term_set in term_sets for term in set(term_set))
    return [term for term, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
