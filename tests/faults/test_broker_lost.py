"""Drill: the broker loses every queued message — Redis restarted without saving (SHUTDOWN NOSAVE, then started
again), or its database flushed — while routing orders wait. The outbox rows are still in PostgreSQL, so the
sweeper re-sends them and every telegram is routed, exactly once."""
from __future__ import annotations

import time

import pytest

from . import drills

pytestmark = [
    pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON),
]

QUEUED = 40
DURING_OUTAGE = 5


def test_redis_restarted_with_orders_queued(workers, clerk, sweep_grace):
    started = time.monotonic()
    routes = drills.plan()
    drills.register_batch(range(1, QUEUED + 1), clerk, routes)
    assert drills.queued_messages() == QUEUED, drills.broker_state()

    drills.shutdown_redis()
    # The desk keeps working while the broker is down: registrations commit, their orders wait in the outbox.
    drills.register_batch(range(QUEUED + 1, QUEUED + DURING_OUTAGE + 1), clerk, routes)
    worker = workers()  # a worker started while the broker is down keeps trying to connect
    drills.start_services()
    lost_by_broker = QUEUED - drills.queued_messages()
    assert lost_by_broker == QUEUED, "the restart should have lost every queued message"

    sweeps = drills.sweep_until_routed(timeout=90)
    total = QUEUED + DURING_OUTAGE
    figures = drills.routing_figures(total)
    audit = drills.verify_audit()
    drills.report(
        "Redis restarted", faults_injected=1, messages_lost_by_broker=lost_by_broker,
        registered_during_outage=DURING_OUTAGE, telegrams=figures["telegrams"], deliveries=figures["deliveries"],
        lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps, audit=audit,
        seconds=round(time.monotonic() - started, 1),
    )
    assert figures["lost"] == 0, worker.log.read_text()[-3000:]
    drills.assert_routed_exactly_once(figures)


def test_broker_flushed_with_orders_queued(workers, clerk, sweep_grace):
    started = time.monotonic()
    drills.register_batch(range(1, QUEUED + 1), clerk, drills.plan())
    assert drills.queued_messages() == QUEUED, drills.broker_state()
    drills.redis_client().flushdb()
    assert drills.queued_messages() == 0

    workers()
    sweeps = drills.sweep_until_routed(timeout=60)
    figures = drills.routing_figures(QUEUED)
    audit = drills.verify_audit()
    drills.report(
        "broker FLUSHDB", faults_injected=1, messages_lost_by_broker=QUEUED, telegrams=figures["telegrams"],
        deliveries=figures["deliveries"], lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps,
        audit=audit, seconds=round(time.monotonic() - started, 1),
    )
    drills.assert_routed_exactly_once(figures)
