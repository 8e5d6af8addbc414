"""The whole round over real HTTP (pytest-django's live server) with a real Celery worker: the clerk's system
registers the seed telegram from its text → the worker routes it → 自治区总工会's system lists its delivery,
signs, reports it done → the clerk reads the telegram with its delivery `done`."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from audit.models import AuditEntry
from tests.conftest import wait_for

from .conftest import seed_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Http:
    """A client as another system is: urllib, its token, JSON in and out."""

    def __init__(self, base: str, key: str):
        self.base, self.key = base, key

    def __call__(self, method: str, path: str, body: dict | None = None, **headers) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Token {self.key}", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}), **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


def test_register_route_sign_finish_and_read_back(celery_worker_process, live_server, demo):
    from api.actions import issue_token

    clerk = Http(live_server.url, issue_token(demo["clerk"], actor=None)[1])
    unit = Http(live_server.url, issue_token(demo["zonggonghui"], actor=None)[1])

    status, created = clerk("POST", "/api/v1/telegrams/", {"text": seed_text()}, **{"Idempotency-Key": "terminal-744"})
    assert status == 201, created
    assert created["receipt_no"] == "宁机明收[2020]744号"
    assert clerk("POST", "/api/v1/telegrams/", {"text": seed_text()}, **{"Idempotency-Key": "terminal-744"}) == (201, created)

    def listed():
        status, page = unit("GET", "/api/v1/deliveries/?state=delivered")
        return page["results"] if status == 200 and page["count"] else None

    rows = wait_for(listed, timeout=30)
    assert rows, celery_worker_process.log.read_text()[-3000:]
    delivery = rows[0]
    assert (delivery["telegram"], delivery["receipt_no"], delivery["unit"], delivery["role"]) == (
        created["id"], created["receipt_no"], "自治区总工会", "handle")

    status, signed = unit("POST", f"/api/v1/deliveries/{delivery['id']}/sign/")
    assert (status, signed["state"]) == (200, "signed")
    status, done = unit("POST", f"/api/v1/deliveries/{delivery['id']}/done/", {"result": "已转发各级工会学习贯彻。"})
    assert (status, done["state"], done["result"]) == (200, "done", "已转发各级工会学习贯彻。")

    status, record = clerk("GET", created["url"])
    assert status == 200 and record["id"] == created["id"] and record["state"] == "done"
    assert record["deliveries"] == [{"unit": "自治区总工会", "role": "handle", "state": "done", "deadline": "2020-05-02"}]
    assert unit("GET", "/api/v1/telegrams/999999/")[0] == 404
    assert AuditEntry.objects.filter(action__in=["telegram.register", "routing.sign", "routing.done"]).count() == 3
