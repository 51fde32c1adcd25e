"""`pmo prioritizer rebuild`: the read models dropped and rebuilt from the topics alone."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from services.prioritizer import handlers
from services.prioritizer.app import SPEC
from services.prioritizer.consumers import HANDLERS
from services.prioritizer.models import (
    CustomerView,
    DemandLink,
    DemandTerm,
    DemandView,
    EndorsementView,
    RecommendationRow,
    RescoreDue,
    ScoreChangeRow,
    ServiceFeedbackView,
    ServiceView,
)
from services.prioritizer.pending import holding
from services.prioritizer.settings import PrioritizerSettings
from shared.db import Database
from shared.events.registry import TOPIC_OF_TYPE
from shared.memory import tune_garbage_collection
from shared.migrations import upgrade_to_head
from shared.replay import ReplayReport, replay_topics

# RescoreDue with them: the rebuild rescores every customer whole.
READ_MODELS = (ScoreChangeRow, EndorsementView, DemandLink, DemandTerm, DemandView, CustomerView,
               ServiceView, ServiceFeedbackView, RecommendationRow, RescoreDue)


# Every demand event carries the whole demand and handlers keep the newest; endorsements are
# only ever added, and each event lists all of them. Customers stay whole: a feedback response
# counts its customer's maturity as it was when the response arrived.
DEMAND_TOPIC = "pmo.intake.demand.v1"
# Customers rescored per chunk when a rebuild settles: bounds the rows held in memory at once.
SETTLE_CUSTOMERS_AT_ONCE = 500


@dataclass(frozen=True)
class RebuildReport:
    replay: ReplayReport
    ranked: int
    seconds: float  # the whole rebuild: clearing, replaying and the final rescoring


async def rebuild(settings: PrioritizerSettings) -> RebuildReport:
    """Clears the read models and the inbox (the policy stays), then replays every topic.

    The scores it recomputes were published when they first changed, so nothing is published
    again: the outbox stays untouched. Stop the prioritizer service first.
    """
    started = time.monotonic()
    tune_garbage_collection()
    db = Database(settings.database_url, SPEC.tables)
    db.publishing = False
    try:
        await upgrade_to_head(db.engine, SPEC.service_dir)
        async with db.uow() as uow:
            await handlers.ensure_default_policy(uow)
        async with db.uow() as uow:
            for model in READ_MODELS:
                await uow.session.execute(delete(model))
            await uow.session.execute(delete(db.tables.inbox))
            await uow.commit()
        topics = sorted({settings.topic(TOPIC_OF_TYPE[t]) for t in HANDLERS})
        with holding() as settlement:  # each customer rescored once, after the last batch
            report = await replay_topics(db, HANDLERS, topics,
                                         bootstrap_servers=settings.kafka_bootstrap_servers,
                                         group_id=settings.consumer_group,
                                         timeout=settings.kafka_timeout_seconds * 3,
                                         latest_only=[settings.topic(DEMAND_TOPIC)])
        async with db.uow() as uow:
            await settlement.run(uow, customers_at_once=SETTLE_CUSTOMERS_AT_ONCE)
            await uow.commit()
        async with db.uow() as uow:
            ranked = await uow.session.scalar(
                select(func.count()).select_from(DemandView).where(DemandView.is_open))
        return RebuildReport(report, int(ranked or 0), time.monotonic() - started)
    finally:
        await db.dispose()
