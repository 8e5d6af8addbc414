"""归档 through the REST API: the same action and errors as the page (problem documents with stable codes)."""
from __future__ import annotations

import pytest

from archive.models import Archival
from tests import factories

from .conftest import problem_of, token_client

pytestmark = pytest.mark.django_db


def test_the_clerk_archives_and_the_admin_revokes_through_the_api(api_clerk, clerk, staff_zgh, admin_user):
    t = factories.finished(clerk, staff_zgh)
    url = f"/api/v1/telegrams/{t.pk}/archive/"
    bad = api_clerk.post(url, {"retention": "D99"}, format="json")
    assert bad.status_code == 400 and problem_of(bad)["field"] == "retention"
    done = api_clerk.post(url, {"retention": "Y"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "archived"
    assert Archival.objects.get(telegram=t).archive_no.endswith("-Y-0001")
    again = api_clerk.post(url, {"retention": "Y"}, format="json")
    assert again.status_code == 409 and problem_of(again)["code"] == "already_archived"
    frozen = api_clerk.post(f"/api/v1/telegrams/{t.pk}/void/", {"reason": "误登记"}, format="json")
    assert frozen.status_code == 409 and problem_of(frozen)["code"] == "archived"

    unarchive = f"/api/v1/telegrams/{t.pk}/unarchive/"
    assert api_clerk.post(unarchive, {"reason": "著录有误"}, format="json").status_code == 403
    revoked = token_client(admin_user).post(unarchive, {"reason": "著录有误"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "done"
