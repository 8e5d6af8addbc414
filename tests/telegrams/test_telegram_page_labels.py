"""The telegram page and the inboxes say every date with its year (a deadline of "05-02" was 2020, "05-20" 2027),
and the correction history names fields as the form does (等级, not precedence)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.conftest import client_for
from tests.telegrams.helpers import SEED_FORM

pytestmark = pytest.mark.django_db
DAY_WITHOUT_YEAR = re.compile(r"(?<![\d-])\d{2}-\d{2}(?![\d-])")  # "05-02" standing alone, not inside 2020-05-02


@pytest.fixture
def seed(clerk, leader):
    """The seed telegram routed to 自治区总工会 (a deadline), and one waiting for a 批示 (the leader's alerts)."""
    telegram = factories.register(clerk)
    factories.route_pending(telegram)
    factories.another(clerk, instruction="")
    return telegram


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1])


def test_the_deadline_on_the_telegram_page_carries_its_year(seed, leader):
    page = client_for(leader).get(reverse("telegrams:detail", args=[seed.pk])).content.decode()
    deliveries = page.split('id="deliveries"', 1)[1].split("</table>", 1)[0]
    assert "2020-05-02" in deliveries
    assert not DAY_WITHOUT_YEAR.findall(visible_text(page))


def test_the_unit_inbox_and_the_leader_inbox_carry_years(seed, staff_zgh, leader):
    inbox = client_for(staff_zgh).get(reverse("routing:inbox")).content.decode()
    year = str(timezone.localdate().year)
    assert f"{year}-" in inbox.split('data-label="送达"', 1)[1][:40]  # delivered today, with the year
    assert not DAY_WITHOUT_YEAR.findall(visible_text(inbox))
    leaders = client_for(leader).get(reverse("annotations:inbox")).content.decode()
    assert not DAY_WITHOUT_YEAR.findall(visible_text(leaders))


def test_the_correction_history_names_fields_as_the_form_does(seed, clerk_client, leader):
    data = {k: v for k, v in SEED_FORM.items() if k not in ("instruction", "proposal", "body", "receipt_no", "classification")}
    data.update(precedence="特急", sender_doc_no=seed.sender_doc_no, reason="核对原件，等级登记有误")
    response = clerk_client.post(reverse("telegrams:correct", args=[seed.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client_for(leader).get(reverse("telegrams:detail", args=[seed.pk])).content.decode()
    history = page.split("更正记录", 1)[1].split("</div>\n  </div>", 1)[0]
    assert "等级 “特提” → “特急”（核对原件，等级登记有误）" in history
    assert "precedence" not in history
