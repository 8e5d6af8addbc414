"""The password backend loads the request's user together with their Person."""
from __future__ import annotations

import pytest

from directory.backends import PersonModelBackend


@pytest.mark.django_db
def test_the_requests_user_comes_with_their_person_and_unit_in_one_query(staff_zgh, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = PersonModelBackend().get_user(staff_zgh.pk)
        assert user.person.unit.name == "自治区总工会"


@pytest.mark.django_db
def test_an_inactive_user_is_not_loaded(staff_zgh):
    staff_zgh.is_active = False
    staff_zgh.save(update_fields=["is_active"])
    assert PersonModelBackend().get_user(staff_zgh.pk) is None
    assert PersonModelBackend().get_user(10**9) is None


@pytest.mark.django_db
def test_a_page_names_the_user_and_their_unit_without_querying_for_them(clerk_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert clerk_client.get("/telegrams/").status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert not any(s.startswith(('SELECT "directory_person"', 'SELECT "directory_unit"')) for s in sql), sql
