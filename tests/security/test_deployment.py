"""The production compose file keeps the roles apart: the signing key reaches only the signer, web and worker
connect as the application role, migrations run as the owner, and the worker is the plain command."""
from __future__ import annotations

import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_only_the_signer_gets_the_signing_key():
    for name in ("web", "worker", "migrate"):
        assert SERVICES[name]["environment"]["AUDIT_SIGNING_KEY"] == "", name
    assert SERVICES["beat"]["environment"]["AUDIT_SIGNING_KEY"].startswith("${AUDIT_SIGNING_KEY")
    assert "-Q signer" in SERVICES["beat"]["command"] and "-B" in SERVICES["beat"]["command"]


def test_web_worker_and_beat_connect_as_the_application_role_and_migrate_as_the_owner():
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["environment"]["DATABASE_URL"].startswith("postgres://${DB_APP_USER"), name
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    migrate = SERVICES["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgres://${DB_OWNER_USER")
    assert migrate["DATABASE_APP_ROLE"].startswith("${DB_APP_USER")
    init = ROOT / "docker" / "postgres-init" / "10-roles.sh"
    assert "./docker/postgres-init:/docker-entrypoint-initdb.d:ro" in SERVICES["db"]["volumes"]
    text = init.read_text()
    assert "NOSUPERUSER" in text and 'OWNER TO :"owner"' in text


def test_the_worker_is_the_plain_command_and_the_witness_is_its_own_volume():
    assert SERVICES["worker"]["command"].split()[:4] == ["celery", "-A", "telegram_office", "worker"]
    assert "-Q" not in SERVICES["worker"]["command"]
    assert "witness:/app/witness" in SERVICES["beat"]["volumes"]
    assert "witness:/app/witness:ro" in SERVICES["web"]["volumes"]
    assert "witness" in COMPOSE["volumes"]
