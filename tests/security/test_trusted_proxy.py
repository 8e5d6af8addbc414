"""Lockout behind the documented proxy: with DJANGO_TRUSTED_PROXIES naming it, each client's own address counts
(one client locked out leaves the others alone); without it, or from an untrusted peer, X-Forwarded-For is not
believed (a client cannot dodge the lockout by inventing addresses)."""
from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from audit.models import AuditEntry
from directory.security import address_of

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"


def request(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize("trusted, remote, forwarded, expected", [
    ([], PROXY, "203.0.113.7", PROXY),                            # no proxy configured: the header is ignored
    ([PROXY], PROXY, "203.0.113.7", "203.0.113.7"),                # behind the proxy: the client
    (["10.0.0.0/8"], PROXY, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # a forged left part is not believed
    (["10.0.0.0/8"], PROXY, "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # two trusted hops skipped
    ([PROXY], "198.51.100.9", "203.0.113.7", "198.51.100.9"),      # not from the proxy: the header is ignored
    ([PROXY], PROXY, "not-an-ip", PROXY),
    ([PROXY], PROXY, None, PROXY),
    (["2001:db8::/32"], "2001:db8::1", "2001:db8:ffff::2, 2a00::1", "2a00::1"),
])
def test_the_client_address(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = trusted
    assert address_of(request(remote, forwarded)) == expected


def fail_login(client, forwarded: str):
    return client.post(reverse("login"), {"username": "clerk", "password": "wrong-password-1"},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_one_client_locked_out_behind_the_proxy_does_not_lock_out_the_others(settings, clerk):
    settings.TRUSTED_PROXIES = [PROXY]
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail_login(client, "203.0.113.7")
    assert fail_login(client, "203.0.113.7").status_code == 429
    other = Client().post(reverse("login"), {"username": "clerk", "password": "Demo-2026-mingdian"},
                          REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 302  # another office behind the same proxy signs in
    locked = AuditEntry.objects.filter(action="auth.locked_out").get()
    assert '"ip":"203.0.113.7"' in locked.data
