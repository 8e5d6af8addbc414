"""Least privilege in PostgreSQL: migrations run as the owner role; web, worker and beat connect as an application
role that is neither the owner nor a superuser. After every `migrate` (post_migrate, on the owner's connection)
the application role, named by DATABASE_APP_ROLE, gets what the code needs on every table and sequence — except
that the ledger (audit entries and checkpoints) is SELECT and INSERT only: no UPDATE, DELETE or TRUNCATE, and as
a non-owner it cannot ALTER the table to disable the append-only triggers (nor, not being a superuser, set
session_replication_role). Without DATABASE_APP_ROLE (the embedded default, CI) nothing is granted."""
from __future__ import annotations

from django.conf import settings
from django.db import connections

APPEND_ONLY = ("audit_auditentry", "audit_checkpoint")


def grant_statements(role: str, tables: list[str]) -> list[str]:
    q = connections["default"].ops.quote_name
    r = q(role)
    out = [f"GRANT USAGE ON SCHEMA public TO {r}"]
    for table in tables:
        t = q(table)
        if table in APPEND_ONLY:
            out += [f"REVOKE ALL ON {t} FROM {r}", f"GRANT SELECT, INSERT ON {t} TO {r}"]
        else:
            out.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {r}")
    out.append(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}")
    return out


def grant_app_role(role: str, *, using: str = "default") -> int:
    """Apply the grants on the database behind `using` (run as the tables' owner). Returns the statements run."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        statements = grant_statements(role, tables)
        for statement in statements:
            cursor.execute(statement)
    return len(statements)


def after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver (sent once per app; the grants are idempotent, so only the audit app's signal runs them)."""
    role = settings.DATABASE_APP_ROLE
    if role and sender.name == "audit" and connections[using].vendor == "postgresql":
        grant_app_role(role, using=using)
