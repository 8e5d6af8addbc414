"""Error pages never touch the database (it may be what failed) and never claim that nothing was saved when a
change may have committed; a session that cannot be saved after a registration committed does not turn the
clerk's redirect to the new telegram into an error."""
from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client, RequestFactory
from django.urls import reverse

from telegram_office import views
from telegrams.models import Telegram
from tests.conftest import client_for
from tests.telegrams.helpers import SEED_FORM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("handler, status, says", [
    (lambda r: views.bad_request(r), 400, "请求内容不正确"),
    (lambda r: views.permission_denied(r), 403, "无权访问"),
    (lambda r: views.page_not_found(r), 404, "不存在"),
    (lambda r: views.server_error(r), 500, "可能已经保存"),
    (lambda r: views.csrf_failure(r), 403, "未做任何修改"),
])
def test_error_pages_run_no_query(clerk, handler, status, says, django_assert_num_queries):
    request = RequestFactory().post("/telegrams/new/")
    request.user = clerk
    with django_assert_num_queries(0):
        response = handler(request)
    html = response.content.decode()
    assert response.status_code == status and says in html
    assert "数据未被修改" not in html


def test_the_500_page_never_says_nothing_was_saved():
    html = views.server_error(RequestFactory().get("/")).content.decode()
    assert "可能没有完成，也可能已经保存" in html and "收文登记簿" in html
    assert "未被修改" not in html and "未做任何修改" not in html


def test_error_pages_work_while_the_database_is_gone(clerk, monkeypatch):
    """A signed-in clerk's 404 renders even when every query would fail (no context processor runs)."""
    client = client_for(clerk)
    client.get(reverse("telegrams:register"))  # session and user loaded once

    def dead(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    request = RequestFactory().get("/nowhere")
    request.user = clerk
    with monkeypatch.context() as m:
        m.setattr(CursorWrapper, "execute", dead)
        assert views.page_not_found(request).status_code == 404
        assert views.server_error(request).status_code == 500


def test_a_registration_whose_session_save_fails_still_reaches_its_telegram(clerk, monkeypatch):
    """The session is saved after the view committed; a database lost right then used to give a 500 saying
    nothing was changed, and the clerk registered the telegram twice."""
    client = client_for(clerk)

    def lost(self, must_create=False):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(DatabaseSessionStore, "save", lost)
    response = client.post(reverse("telegrams:create"), SEED_FORM)
    telegram = Telegram.objects.get()
    assert response.status_code == 302 and response.url == reverse("telegrams:detail", args=[telegram.pk])


def test_a_forged_csrf_page_is_plain_and_changes_nothing(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post(reverse("telegrams:create"), SEED_FORM)
    assert response.status_code == 403 and "未做任何修改" in response.content.decode()
    assert not Telegram.objects.exists()
