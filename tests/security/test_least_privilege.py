"""PostgreSQL only: web, worker and beat connect as an application role that cannot rewrite the ledger.

The role is made here as docker/postgres-init/10-roles.sh makes it (LOGIN, not a superuser, not the owner); the
grants are the ones `migrate` applies (DATABASE_APP_ROLE, audit/privileges.py). Its UPDATE, DELETE and TRUNCATE on
the audit tables fail on privileges — before any trigger is consulted — and so do the ways round them: altering
the table to disable the triggers, or switching triggers off for the session."""
from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest
from django.db import connection

from audit.privileges import grant_app_role
from tests.audit.helpers import append
from tests.conftest import ROOT, db_url_for_subprocess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and privileges: PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]

ROLE = f"test_app_role_{os.getpid()}"


@pytest.fixture
def app_role():
    """An application role with the grants migrate gives it; dropped afterwards (roles are cluster-wide)."""
    with connection.cursor() as c:
        c.execute(f'DROP ROLE IF EXISTS "{ROLE}"')
        c.execute(f'CREATE ROLE "{ROLE}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS')
    grant_app_role(ROLE)
    s = connection.settings_dict
    conn = psycopg2.connect(dbname=s["NAME"], user=ROLE, host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)
    conn.autocommit = True
    yield conn
    conn.close()
    with connection.cursor() as c:
        c.execute(f'DROP OWNED BY "{ROLE}"')
        c.execute(f'DROP ROLE IF EXISTS "{ROLE}"')


def refused(conn, statement: str) -> str:
    with conn.cursor() as cur, pytest.raises(psycopg2.Error) as caught:
        cur.execute(statement)
    return str(caught.value)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET data = '{}' WHERE seq = 1",
    "DELETE FROM audit_auditentry WHERE seq = 1",
    "TRUNCATE audit_auditentry",
    "UPDATE audit_checkpoint SET signature = 'x'",
    "DELETE FROM audit_checkpoint",
    "TRUNCATE audit_checkpoint",
])
def test_the_application_role_cannot_rewrite_the_ledger(app_role, statement):
    append(2)
    assert "permission denied" in refused(app_role, statement)  # the privilege, not the trigger, says no


@pytest.mark.parametrize("statement, why", [
    ("ALTER TABLE audit_auditentry DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_update", "must be owner"),
    ("DROP TRIGGER audit_entry_no_update ON audit_auditentry", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),
])
def test_the_application_role_cannot_switch_the_guards_off(app_role, statement, why):
    assert why in refused(app_role, statement)


def test_the_application_role_appends_reads_and_moves_the_head(app_role):
    append(1)
    with app_role.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_auditentry")
        assert cur.fetchone()[0] == 1
        cur.execute("UPDATE audit_chainhead SET seq = seq WHERE id = 1")  # appends move the head
        cur.execute("UPDATE audit_verificationrun SET message = message")
        cur.execute("DELETE FROM django_session")  # and everything else works as before


def test_the_app_runs_as_that_role(app_role):
    """The real commands, connected as the application role: the demo directory is written, a checkpoint signed
    and the chain verified."""
    url = db_url_for_subprocess().replace("postgres://postgres", f"postgres://{ROLE}", 1)
    assert f"//{ROLE}" in url
    env = {**os.environ, "DATABASE_URL": url}
    for args in (["seed_demo"], ["audit_checkpoint"], ["verify_audit"]):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    assert done.stdout.strip().splitlines()[-1].startswith("OK ")
