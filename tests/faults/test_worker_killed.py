"""Drill: the routing worker is SIGKILLed three times while it routes 300 telegrams; a new one is started each
time. The sweeper re-sends what the dead workers held, and every telegram ends with exactly its three deliveries."""
from __future__ import annotations

import time

import pytest

from tests.conftest import wait_for

from . import drills

pytestmark = [
    pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON),
]

TELEGRAMS = 300
KILL_AT = (60, 130, 200)  # orders routed when each SIGKILL lands: always mid-run


def test_worker_killed_three_times_while_routing_300_telegrams(workers, clerk, sweep_grace):
    started = time.monotonic()
    drills.register_batch(range(1, TELEGRAMS + 1), clerk, drills.plan())
    assert drills.queued_messages() == TELEGRAMS  # every order is on the broker before the first worker starts

    kills, routed_at_kill = 0, []
    for threshold in KILL_AT:
        worker = workers()
        assert wait_for(lambda t=threshold: drills.done_orders() >= t, timeout=60, interval=0.02), (
            f"routing stalled below {threshold}: " + worker.log.read_text()[-2000:]
        )
        worker.kill()  # SIGKILL to the whole process group: the main process and its pool children
        kills += 1
        routed_at_kill.append(drills.done_orders())
    assert all(n < TELEGRAMS for n in routed_at_kill), f"a kill landed after routing finished: {routed_at_kill}"

    # Recovery: a fresh worker takes what is still queued; the sweeper re-sends what the dead ones had taken.
    workers()
    sweeps = drills.sweep_until_routed(timeout=120)
    figures = drills.routing_figures(TELEGRAMS)
    audit = drills.verify_audit()
    drills.report(
        "worker SIGKILL", faults_injected=kills, routed_at_each_kill=routed_at_kill, telegrams=figures["telegrams"],
        deliveries=figures["deliveries"], lost=figures["lost"], duplicated=figures["duplicated"], sweeps=sweeps,
        audit=audit, seconds=round(time.monotonic() - started, 1),
    )
    drills.assert_routed_exactly_once(figures)
