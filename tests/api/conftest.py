"""API tests: clients that call /api/v1/ with a user's token (as an integration does) and the rate-limit cache
emptied around each test."""
from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api import actions
from tests.conftest import ROOT

SEED_TEXT = ROOT / "tests" / "telegrams" / "samples" / "seed_744.txt"  # ../shared/seed/000_b601b55bd6488c25.txt


def seed_text() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")


def token_client(user, **kwargs) -> APIClient:
    _, key = actions.issue_token(user, actor=None, name="测试")
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.key = key
    return client


@pytest.fixture(autouse=True)
def _empty_rate_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_clerk(clerk):
    return token_client(clerk)


@pytest.fixture
def api_leader(leader):
    return token_client(leader)


@pytest.fixture
def api_zgh(staff_zgh):
    """自治区总工会's 承办人: the seed's 批办 sends it there."""
    return token_client(staff_zgh)


@pytest.fixture
def api_cz(staff_cz):
    return token_client(staff_cz)


def problem_of(response) -> dict:
    assert response["Content-Type"].startswith("application/problem+json"), (response.status_code, response.content[:500])
    doc = response.json()
    assert doc["status"] == response.status_code and doc["detail"] and doc["code"]
    return doc
