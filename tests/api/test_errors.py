"""Every error is an RFC 9457 problem document with the Chinese message: the URLconf's 404 under /api/, methods an
endpoint lacks, control characters, rate limits per token."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from .conftest import problem_of, token_client

pytestmark = pytest.mark.django_db


def test_an_unknown_api_url_is_a_problem_and_a_page_url_the_page(api_clerk, clerk):
    for path in ("/api/v1/nothing/", "/api/v1/telegrams/-1/", "/api/v2/"):
        response = api_clerk.get(path)
        assert response.status_code == 404 and problem_of(response)["detail"] == "接口不存在。"
    page = Client().get("/nothing/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_method_the_endpoint_lacks_is_405_with_allow(api_clerk):
    for method in ("put", "delete", "patch", "options"):
        response = getattr(api_clerk, method)("/api/v1/telegrams/")
        assert response.status_code == 405, method
        assert problem_of(response)["code"] == "method_not_allowed" and "GET" in response["Allow"]


def test_control_characters_in_the_query_are_refused_by_name(api_clerk):
    response = api_clerk.get("/api/v1/telegrams/", {"q": "工发电\x00"})
    assert response.status_code == 400
    assert problem_of(response)["field"] == "q" and problem_of(response)["detail"] == "查询参数不能包含控制字符。"


def test_malformed_json_is_a_problem(api_clerk):
    response = api_clerk.post("/api/v1/telegrams/", "{not json", content_type="application/json")
    assert response.status_code == 400 and problem_of(response)["code"] == "parse_error"
    listed = api_clerk.post("/api/v1/telegrams/", [1, 2], format="json")
    assert listed.status_code == 400 and problem_of(listed)["errors"][0]["field"] is None


def test_an_unreadable_idempotency_key_is_refused(api_clerk):
    response = api_clerk.post("/api/v1/telegrams/", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="a b")
    assert response.status_code == 400 and problem_of(response)["field"] == "Idempotency-Key"


def test_rate_limits_count_per_token_and_say_when_to_retry(clerk, settings):
    settings.API_RATES = {"read": "3/minute", "write": "2/minute"}
    first, second = token_client(clerk), token_client(clerk)
    assert [first.get("/api/v1/telegrams/").status_code for _ in range(3)] == [200, 200, 200]
    limited = first.get("/api/v1/telegrams/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert problem_of(limited)["code"] == "throttled"
    assert second.get("/api/v1/telegrams/").status_code == 200  # another token has its own count
    writes = [first.post("/api/v1/telegrams/", {}, format="json").status_code for _ in range(3)]
    assert writes == [400, 400, 429]  # writes are counted apart from reads


def test_the_urlconfs_error_handlers_answer_problems_under_api_only():
    from django.test import RequestFactory

    from telegram_office import views

    api, page = RequestFactory().get("/api/v1/telegrams/"), RequestFactory().get("/telegrams/")
    for handler, status in ((views.bad_request, 400), (views.permission_denied, 403), (views.page_not_found, 404),
                            (views.server_error, 500)):
        answer = handler(api) if handler is views.server_error else handler(api, None)
        assert answer.status_code == status and answer["Content-Type"] == "application/problem+json"
        assert json.loads(answer.content)["instance"] == "/api/v1/telegrams/"
        shown = handler(page) if handler is views.server_error else handler(page, None)
        assert shown.status_code == status and shown["Content-Type"].startswith("text/html")
