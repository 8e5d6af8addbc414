"""Schemathesis against the served OpenAPI document, in-process through the WSGI application, with a clerk's and
a unit's token: every operation, data that fits the schema and data that does not. No answer may be a 5xx, and
every answer must be documented (status, content type, headers, body schema). Bounded: a fixed number of
examples per operation, derandomized so CI sees the same cases every run (about a minute in all)."""
from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from telegram_office.wsgi import application
from tests import factories
from tests.factories import PDF

from .conftest import token_client

pytestmark = pytest.mark.django_db

EXAMPLES = 15


@pytest.fixture
def world(clerk, leader, staff_zgh):
    """Something for the ids to find: the seed telegram routed to 自治区总工会, with a scan and a 批示."""
    telegram = factories.register(clerk, scans=[PDF])
    factories.route_pending(telegram)
    factories.annotate(telegram, leader, "同意。")
    return telegram


def aim_at_the_world(case, world) -> None:
    """Random ids find nothing: every other schema-valid case is pointed at the world's objects, so the answers
    of found objects (a record, a delivery signed, done, a 批示 saved) are checked too."""
    params = case.path_parameters or {}
    if "id" not in params or not case.meta.generation.mode.is_positive or not str(params["id"]).isdigit() \
            or int(params["id"]) % 2:
        return
    is_delivery = case.operation.path.startswith("/api/v1/deliveries/")
    params["id"] = world.deliveries.get().pk if is_delivery else world.pk
    if "scan_id" in params:
        params["scan_id"] = world.scans.get().pk


@pytest.fixture
def in_process_requests():
    """The WSGI handler closes the database connection around each request (request_started/finished), which
    would end the test's transaction: like Django's test client, run the requests without that."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["clerk", "zonggonghui"])
def token(request, demo, world, in_process_requests):
    return token_client(demo[request.param]).key


def served_document() -> dict:
    """What GET /api/v1/schema/ serves (the same generator, without a request: the test database does not exist
    yet when pytest collects this module; test_the_served_document_is_the_one_tested compares them)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


schema = schemathesis.openapi.from_dict(served_document())
schema.app = application


# Operations whose input is judged by rules beyond its shape (a time not in the future, the text read by the
# parser, a result the role requires, a file's content): schema-valid input may be refused there (400 with the
# field), so "valid data must be accepted" is not asked of them; every other check is.
JUDGED_BY_THE_ACTIONS = {"POST /api/v1/telegrams/", "POST /api/v1/deliveries/{id}/done/",
                         "POST /api/v1/telegrams/{id}/scans/"}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, token, world, settings):
    settings.API_RATES = {"read": "100000/minute", "write": "100000/minute"}
    aim_at_the_world(case, world)
    excluded = [positive_data_acceptance] if case.operation.label in JUDGED_BY_THE_ACTIONS else []
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=excluded)


def test_the_served_document_is_the_one_tested(api_clerk):
    assert api_clerk.get("/api/v1/schema/", {"format": "json"}).json() == served_document()
