"""The demand status machine exactly as contract §2 writes it."""

from __future__ import annotations

import itertools

import pytest

from services.intake.domain import DEMAND_TRANSITIONS, DemandStatus, check_demand_transition
from shared.errors import Forbidden, IllegalTransition

S = DemandStatus
FORWARD = {(S.SUBMITTED, S.TRIAGED), (S.TRIAGED, S.PLANNED), (S.PLANNED, S.IN_PROGRESS),
           (S.IN_PROGRESS, S.DELIVERED)}
BEFORE_DELIVERED = {S.SUBMITTED, S.TRIAGED, S.PLANNED, S.IN_PROGRESS}
LEGAL = FORWARD | {(s, end) for s in BEFORE_DELIVERED for end in (S.REJECTED, S.WITHDRAWN)}


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_every_pair_follows_the_contract(current, target):
    if (current, target) in LEGAL:
        check_demand_transition(current, target, by_customer=False)
    else:
        with pytest.raises(IllegalTransition) as raised:
            check_demand_transition(current, target, by_customer=False)
        assert raised.value.extra["allowed"] == [s.value for s in DEMAND_TRANSITIONS[current]]


def test_a_customer_may_only_withdraw():
    check_demand_transition(S.SUBMITTED, S.WITHDRAWN, by_customer=True)
    with pytest.raises(Forbidden):
        check_demand_transition(S.SUBMITTED, S.TRIAGED, by_customer=True)
