"""Beat's checkpoint task signs once per interval, whoever sends it: after a signer dies with the task unacked
(acks_late redelivers it) and the beat that takes the lead sends its own at once, the two must not both sign."""
from __future__ import annotations

import pytest

from audit import tasks
from audit.models import Checkpoint

from .helpers import append

pytestmark = pytest.mark.django_db


def test_a_redelivered_checkpoint_task_within_half_an_interval_signs_nothing(settings):
    settings.AUDIT_CHECKPOINT_INTERVAL = 60
    append(2)
    assert tasks.sign_checkpoint() == 2
    append(1)  # the chain moved on: only the interval stops the second signature
    assert tasks.sign_checkpoint() is None
    assert Checkpoint.objects.count() == 1


def test_the_next_interval_signs_again(settings):
    settings.AUDIT_CHECKPOINT_INTERVAL = 60
    append(2)
    assert tasks.sign_checkpoint() == 2
    append(1)
    settings.AUDIT_CHECKPOINT_INTERVAL = 0  # as if half an interval had passed
    assert tasks.sign_checkpoint() == 3
    assert Checkpoint.objects.count() == 2
