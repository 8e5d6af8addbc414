"""Out-of-range dates in the list filters get a Chinese message on the form (and are ignored), never a 500."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db
PAGES = [("audit:log", "admin"), ("audit:csv", "admin"), ("audit:jsonl", "admin"), ("routing:history", "admin"),
         ("routing:history_csv", "admin"), ("telegrams:register", "clerk")]
DATES = ["9999-12-31", "0001-01-01", "1900-02-28", "2100-01-01"]


@pytest.mark.parametrize("name, who", PAGES)
@pytest.mark.parametrize("param", ["date_from", "date_to"])
def test_an_out_of_range_date_is_a_message_not_a_500(demo, name, who, param):
    client = client_for(demo[who])
    for day in DATES:
        response = client.get(reverse(name), {param: day})
        assert response.status_code == 200, (name, param, day)
        if not name.endswith(("csv", "jsonl")):
            assert "日期超出范围" in response.content.decode(), (name, param, day)


def test_a_date_in_range_still_filters(demo):
    response = client_for(demo["admin"]).get(reverse("audit:log"), {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert response.status_code == 200 and "日期超出范围" not in response.content.decode()
