"""Live pages: what a person's open page must reflect, as short version strings the page polls for.

Every page polls `notifications:live` (static/js/live.js) with the last ETag it got: one query gathers the
figures of every scope the person's roles have — their unread alerts, their unit's open deliveries, the leader
inbox's sources (`routing.live`, `annotations.live`) — and the answer is `304 Not Modified` unless one changed.
A page region marked `data-live="inbox alerts"` carries the versions it was rendered at (`live_version` tag); when
the poll reports others, the script fetches the page again and swaps the region in place."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Expression
from django.urls import reverse
from django.utils import timezone

from annotations import live as leader_live
from core.subqueries import scalar
from directory import roles
from directory.access import unit_id_of
from routing import live as unit_live
from telegrams.models import Precedence

from .models import Alert

URGENT_SHOWN = 5  # the banner lists at most this many unread 特提 alerts


def _alert_fields(user_id: int) -> dict[str, Expression]:
    unread = Alert.objects.filter(user_id=user_id, read_at__isnull=True)  # alert_unread_idx
    return {"alerts_unread": scalar(unread, "COUNT", "id"), "alerts_latest": scalar(unread, "MAX", "id")}


# Scope → (who has it, the figures it compares, from the user; the person and unit come with the user).
SCOPES = {
    "alerts": (lambda user: True, lambda user: _alert_fields(user.pk)),
    "inbox": (roles.is_unit_staff, lambda user: unit_live.inbox_fields(unit_id_of(user))),
    "leader": (roles.is_leader, lambda user: leader_live.inbox_fields(user.pk)),
}


def _digest(values: list) -> str:
    return hashlib.blake2s(":".join(map(str, values)).encode(), digest_size=6).hexdigest()


@dataclass
class LiveState:
    figures: dict[str, int]
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return '"' + _digest(sorted(self.versions.items())) + '"'


def state(user) -> LiveState:
    """The person's figures, in one query (the person's own row with one scalar subquery per figure)."""
    scopes = {name: fields(user) for name, (has, fields) in SCOPES.items() if has(user)}
    annotations = {key: expr for fields in scopes.values() for key, expr in fields.items()}
    figures = get_user_model().objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).get()
    live = LiveState(figures)
    # The user's id is in every version: a version never means the same for two people.
    live.versions = {name: _digest([user.pk, *(figures[key] for key in fields)]) for name, fields in scopes.items()}
    return live


def for_request(request) -> LiveState:
    """Once per request (the poll, or a page whose regions print their versions)."""
    cached = getattr(request, "_live_state", None)
    if cached is None:
        cached = request._live_state = state(request.user)
    return cached


def payload(user, live: LiveState) -> dict:
    """The answer when something changed: versions, the badge, the unread 特提 alerts for the banner, tab counts."""
    urgent = (Alert.objects.filter(user=user, read_at__isnull=True, telegram__precedence=Precedence.TETI)
              .select_related("telegram").order_by("-id")[:URGENT_SHOWN])
    data = {
        "versions": live.versions,
        "alerts": {
            "unread": live.figures["alerts_unread"],
            "urgent": [{
                "id": a.pk, "text": a.text, "url": reverse("telegrams:detail", args=[a.telegram_id]),
                "at": timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
            } for a in urgent],
        },
    }
    if "inbox" in live.versions:
        data["inbox"] = {tab: live.figures[f"inbox_{tab}"] for tab in unit_live.OPEN_TABS}
    return data
