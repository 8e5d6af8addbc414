"""The OpenAPI document and Swagger UI, served by the app (no CDN) under the strict CSP."""
from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_as_yaml_and_json_to_a_signed_in_caller(api_zgh):
    as_yaml = api_zgh.get("/api/v1/schema/")
    assert as_yaml.status_code == 200 and as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    doc = yaml.safe_load(as_yaml.content)
    as_json = api_zgh.get("/api/v1/schema/", {"format": "json"})
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json") and as_json.json() == doc
    paths = set(doc["paths"])
    assert {"/api/v1/telegrams/", "/api/v1/telegrams/{id}/", "/api/v1/deliveries/", "/api/v1/deliveries/{id}/sign/",
            "/api/v1/deliveries/{id}/done/", "/api/v1/telegrams/{id}/scans/", "/api/v1/telegrams/{id}/annotations/",
            "/api/v1/telegrams/{id}/annotations/preview/"} <= paths
    assert doc["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": doc["components"]["securitySchemes"]["tokenAuth"]["description"]}
    create = doc["paths"]["/api/v1/telegrams/"]["post"]
    assert "application/problem+json" in create["responses"]["409"]["content"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])


def test_swagger_ui_is_served_locally_without_inline_script(clerk):
    client = client_for(clerk)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith("/") for s in sources), sources  # nothing from another host
    script = client.get(next(s for s in sources if "script" in s).replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()


def test_docs_send_a_visitor_without_a_session_to_the_login_page(demo):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_date_filters_pattern_is_cores_bounds():
    from datetime import timedelta

    from api.schema import BOUNDED_DATE
    from core.filters import FIRST_DAY, LAST_DAY

    inside = [FIRST_DAY, LAST_DAY]
    outside = [FIRST_DAY - timedelta(days=1), LAST_DAY + timedelta(days=1)]
    assert all(re.match(BOUNDED_DATE, d.isoformat()) for d in inside)
    assert not any(re.match(BOUNDED_DATE, d.isoformat()) for d in outside)
