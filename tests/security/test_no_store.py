"""No response with decrypted text may be kept by a browser or proxy cache: every page, print, PDF, scan
download and export answers `Cache-Control: no-store`; static files stay cacheable."""
from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_response_with_decrypted_text_is_no_store(procedure_world):
    world = procedure_world
    users, t, d = world["users"], world["telegram"], world["delivery"]
    client_for(users["staff_a"]).post(reverse("routing:sign", args=[d.pk]))
    pages = [
        (users["clerk"], reverse("telegrams:detail", args=[t.pk])),  # the body
        (users["clerk"], reverse("telegrams:scan", args=[t.pk, world["scan"].pk])),  # a decrypted scan
        (users["clerk"], reverse("printing:slip", args=[t.pk])),
        (users["clerk"], reverse("printing:slip_pdf", args=[t.pk])),
        (users["leader"], reverse("annotations:inbox")),
        (users["leader"], reverse("telegrams:detail", args=[t.pk])),  # the 批示
        (users["staff_a"], reverse("telegrams:detail", args=[t.pk])),
        (users["staff_a"], reverse("telegrams:complete", args=[d.pk])),  # the body and the 批示 beside the form
        (users["staff_a"], reverse("routing:result_file", args=[world["result_file"].pk])),  # a decrypted attachment
        (users["staff_a"], reverse("routing:inbox") + "?tab=done"),  # the unit's own results
        (users["admin"], reverse("routing:history")),  # every unit's result
        (users["admin"], reverse("routing:history_csv")),
        (users["clerk"], reverse("printing:return_notice_pdf", args=[world["returned"].pk])),
        (users["admin"], reverse("audit:csv")),
        (users["clerk"], reverse("printing:register_export", args=["csv"])),
        (users["clerk"], reverse("telegrams:register")),
        (None, reverse("login")),
    ]
    for user, url in pages:
        response = (client_for(user) if user else Client()).get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
        assert "private" in response["Cache-Control"], url


def test_static_files_stay_cacheable(settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # serve from the app folders, as runserver
    assert finders.find("css/app.css")
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
