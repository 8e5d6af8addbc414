"""Each role lands on its own work, and "← 返回" goes back where the person came from — on this site only."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def telegram(clerk):
    return factories.register(clerk)


@pytest.mark.parametrize("username, page", [
    ("clerk", "telegrams:register"), ("leader", "annotations:inbox"), ("zonggonghui", "routing:inbox"),
    ("admin", "routing:history"),
])
def test_each_role_lands_on_its_own_work(demo, username, page):
    response = client_for(demo[username]).get("/")
    assert response.status_code == 302 and response["Location"] == reverse(page)


def test_after_logging_in_the_leader_is_taken_to_the_leaders_inbox(demo, client):
    response = client.post(reverse("login"), {"username": "leader", "password": "Demo-2026-mingdian"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("annotations:inbox")


def test_an_account_without_a_role_is_told_so_instead_of_bouncing(demo):
    nobody = get_user_model().objects.create_user("nobody", password="x")
    response = client_for(nobody).get("/")
    assert response.status_code == 403 and "尚未分配角色" in response.content.decode()


def back_link(response) -> str:
    html = response.content.decode()
    return html.split('class="back" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_back_returns_to_the_list_page_the_person_came_from(demo, telegram):
    leader = client_for(demo["leader"])
    detail = reverse("telegrams:detail", args=[telegram.pk])
    register = reverse("telegrams:register") + "?precedence=特提&page=1"
    # Straight from a list (the referrer).
    assert back_link(leader.get(detail, HTTP_REFERER=f"http://testserver{register}")) == register
    # After a form post the referrer names the form: the last list shown in this session is used.
    leader.get(reverse("annotations:inbox"))
    assert back_link(leader.get(detail, HTTP_REFERER=f"http://testserver{reverse('annotations:write', args=[telegram.pk])}")) \
        == reverse("annotations:inbox")
    # An explicit, safe next wins.
    assert back_link(leader.get(detail, {"next": "/telegrams/?q=744"})) == "/telegrams/?q=744"


@pytest.mark.parametrize("evil", ["https://evil.example/telegrams/", "//evil.example/", "javascript:alert(1)",
                                  "http://testserver.evil.example/"])
def test_back_never_leads_off_the_site(demo, telegram, evil):
    leader = client_for(demo["leader"])
    detail = reverse("telegrams:detail", args=[telegram.pk])
    response = leader.get(detail, {"next": evil}, HTTP_REFERER=evil)
    assert back_link(response) == reverse("home")  # nothing remembered yet: the person's own landing page


def test_back_from_a_page_first_opened_goes_to_the_persons_own_work(demo, telegram):
    response = client_for(demo["clerk"]).get(reverse("telegrams:detail", args=[telegram.pk]))
    assert back_link(response) == reverse("home") != "/telegrams/"
