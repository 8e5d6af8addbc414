"""Drill: 20 clerks register 25 telegrams each at the same time through the real HTTP stack (gunicorn).
Every save gets its own number: 500 distinct, consecutive receipt numbers and one unbroken audit chain."""
from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from urllib.parse import urlencode, urlparse

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from directory import roles
from directory.models import Unit
from directory.services import ensure_user
from telegrams.models import Telegram
from tests.conftest import client_for
from tests.telegrams.helpers import form

from . import drills

pytestmark = [
    pytest.mark.faults, pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not drills.REAL_SERVICES, reason=drills.SKIP_REASON),
]

CLERKS = 20
EACH = 25
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpClerk(threading.Thread):
    """One clerk's browser: a session cookie, the registration form fetched once, then 25 saves."""

    def __init__(self, index: int, base: str, session_cookie: str):
        super().__init__(daemon=True)
        self.index, self.session_cookie = index, session_cookie
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port
        self.statuses: Counter = Counter()
        self.receipts: list[str] = []
        self.failure: BaseException | None = None

    def request(self, conn, method: str, path: str, body: str | None = None, cookies: str = ""):
        headers = {"Cookie": cookies}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        return response, response.read()

    def run(self):
        try:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            cookies = f"sessionid={self.session_cookie}"
            path = reverse("telegrams:create")
            response, page = self.request(conn, "GET", path, cookies=cookies)
            assert response.status == 200, response.status
            token = CSRF_INPUT.search(page.decode()).group(1)
            csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
            cookies += f"; csrftoken={csrf_cookie}"
            for n in range(EACH):
                data = form(sender_doc_no=f"工发电〔2025〕{self.index * 100 + n}号", received_at="2025-06-01T10:00",
                            title=f"关于第{self.index}组第{n}号来电的通知", csrfmiddlewaretoken=token)
                response, _ = self.request(conn, "POST", path, urlencode(data), cookies)
                self.statuses[response.status] += 1
                location = response.getheader("Location") or ""
                if response.status == 302 and re.search(r"/telegrams/\d+/$", location):
                    self.receipts.append(location)
            conn.close()
        except BaseException as exc:
            self.failure = exc


def test_twenty_clerks_register_500_telegrams_at_once_over_http(gunicorn_server, demo):
    started = time.monotonic()
    unit = Unit.objects.get(name="自治区党委办公厅")
    clerks = []
    for i in range(CLERKS):
        user = ensure_user(f"clerk{i:02d}", full_name=f"机要员{i:02d}", role=roles.CLERK, password="Drill-2026-clerk",
                           unit=unit)
        clerks.append(HttpClerk(i, gunicorn_server, client_for(user).cookies["sessionid"].value))
    audit_before = AuditEntry.objects.count()
    for c in clerks:
        c.start()
    for c in clerks:
        c.join(180)
    failures = [c.failure for c in clerks if c.failure]
    assert not failures, failures
    seconds = time.monotonic() - started

    statuses = sum((c.statuses for c in clerks), Counter())
    saved = sum(len(c.receipts) for c in clerks)
    receipts = drills.receipt_figures()
    numbers = list(Telegram.objects.values_list("receipt_no", flat=True))
    per_clerk = Counter(Telegram.objects.values_list("registered_by__username", flat=True))
    registered_entries = AuditEntry.objects.filter(action="telegram.register").count()
    audit = drills.verify_audit()
    total = CLERKS * EACH
    drills.report(
        "20 clerks over HTTP", clerks=CLERKS, requests=sum(statuses.values()), statuses=dict(statuses),
        telegrams=len(numbers), receipt_numbers=f"{receipts['distinct']} (gapless={receipts['gapless']})",
        lost=total - len(numbers), duplicated=len(numbers) - len(set(numbers)),
        audit_entries_added=AuditEntry.objects.count() - audit_before, audit=audit,
        registrations_per_second=round(total / seconds, 1), seconds=round(seconds, 1),
    )
    assert statuses == Counter({302: total}) and saved == total, statuses
    assert len(numbers) == len(set(numbers)) == total
    assert receipts["gapless"] and receipts["numbers"] == total, receipts
    assert all(per_clerk[f"clerk{i:02d}"] == EACH for i in range(CLERKS)), per_clerk
    assert registered_entries == total
