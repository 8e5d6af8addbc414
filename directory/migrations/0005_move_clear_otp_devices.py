"""Moves the second factors django-otp's plugins kept in clear into directory's own devices, then removes the
clear copies.

- every TOTPDevice (otp_totp) → an Authenticator whose key is sealed with the first data key, bound to its row
  (`authenticator:<uid>:key`, as directory.devices seals it); one confirmed and one being enrolled per person
  (the most recently used wins when there were more);
- every StaticToken of a person's confirmed StaticDevices (otp_static) → a RecoveryCode holding only
  make_password(token) with Argon2id as directory.devices.RecoveryCodeHasher has it, in one RecoveryCodeSet per
  person.

Then the plugins' tables are dropped (not only emptied: on SQLite with secure_delete, so the freed pages are
overwritten) and their rows in django_migrations removed, as if the apps had never been installed. The plugins
are read with SQL because they are no longer installed apps. A database that never had them (a new one) is
untouched. Database backups taken before this migration still hold the clear keys and codes."""
from __future__ import annotations

import uuid
from datetime import datetime
from datetime import timezone as dt_timezone

from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.db import migrations
from django.utils.dateparse import parse_datetime

from vault import crypto

TOTP = "otp_totp_totpdevice"
STATIC_DEVICE = "otp_static_staticdevice"
STATIC_TOKEN = "otp_static_statictoken"
TOTP_COLUMNS = ("id", "user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t",
                "throttling_failure_timestamp", "throttling_failure_count", "created_at", "last_used_at")
STATIC_COLUMNS = ("id", "user_id", "name", "confirmed", "throttling_failure_timestamp", "throttling_failure_count",
                  "created_at", "last_used_at")
KEPT = ("throttling_failure_timestamp", "throttling_failure_count", "last_used_at")


class _CodeHasher(Argon2PasswordHasher):
    """directory.devices.RecoveryCodeHasher's parameters, written here so the migration never changes with it."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


def _when(value):
    """A timestamp as the old table returned it (aware, naive UTC on SQLite, or text) → aware."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt_timezone.utc)
    return value


def _rows(cursor, table: str, columns: tuple[str, ...]) -> list[dict]:
    cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _move_authenticators(apps, cursor) -> None:
    Authenticator = apps.get_model("directory", "Authenticator")
    chosen: dict[tuple[int, bool], dict] = {}
    for row in _rows(cursor, TOTP, TOTP_COLUMNS):
        try:
            key = bytes.fromhex(row["key"])
        except (TypeError, ValueError):
            continue  # a key django-otp itself could not use: the person enrols again
        row["bin_key"], row["confirmed"] = key, bool(row["confirmed"])
        slot = (row["user_id"], row["confirmed"])
        if slot not in chosen or (row["last_t"], row["id"]) > (chosen[slot]["last_t"], chosen[slot]["id"]):
            chosen[slot] = row
    for row in chosen.values():
        uid = uuid.uuid4()
        device = Authenticator.objects.create(
            uid=uid, user_id=row["user_id"], name=row["name"][:64], confirmed=row["confirmed"],
            key_enc=crypto.seal_text(row["bin_key"].hex(), crypto.aad_for("authenticator", uid, "key")),
            step=row["step"], t0=row["t0"], digits=row["digits"], tolerance=row["tolerance"], drift=row["drift"],
            last_t=row["last_t"],  # codes already used stay used (replay protection)
            **{k: _when(row[k]) if k != "throttling_failure_count" else row[k] for k in KEPT},
        )
        if row["created_at"]:  # auto_now_add set "now" on create
            Authenticator.objects.filter(pk=device.pk).update(created_at=_when(row["created_at"]))


def _move_recovery_codes(apps, cursor) -> None:
    RecoveryCodeSet = apps.get_model("directory", "RecoveryCodeSet")
    RecoveryCode = apps.get_model("directory", "RecoveryCode")
    devices = [d for d in _rows(cursor, STATIC_DEVICE, STATIC_COLUMNS) if d["confirmed"]]
    cursor.execute(f"SELECT device_id, token FROM {STATIC_TOKEN} ORDER BY id")
    tokens: dict[int, list[str]] = {}
    for device_id, token in cursor.fetchall():
        tokens.setdefault(device_id, []).append(token)
    by_user: dict[int, list[dict]] = {}
    for device in devices:
        by_user.setdefault(device["user_id"], []).append(device)
    for user_id, own in by_user.items():
        first = own[0]
        codes = [t for d in own for t in tokens.get(d["id"], [])]
        new = RecoveryCodeSet.objects.create(
            user_id=user_id, name=first["name"][:64], confirmed=True,
            **{k: _when(first[k]) if k != "throttling_failure_count" else first[k] for k in KEPT},
        )
        if first["created_at"]:
            RecoveryCodeSet.objects.filter(pk=new.pk).update(created_at=_when(first["created_at"]))
        RecoveryCode.objects.bulk_create(RecoveryCode(device=new, code_hash=make_password(c, hasher=_CodeHasher())) for c in codes)


def move(apps, schema_editor) -> None:
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    if not tables & {TOTP, STATIC_DEVICE, STATIC_TOKEN}:
        return
    with connection.cursor() as cursor:
        if TOTP in tables:
            _move_authenticators(apps, cursor)
        if STATIC_DEVICE in tables and STATIC_TOKEN in tables:
            _move_recovery_codes(apps, cursor)
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA secure_delete")
            secure = cursor.fetchone()[0]
            cursor.execute("PRAGMA secure_delete = ON")  # the dropped pages are zeroed, not just freed
        # DROP, never DELETE first: on PostgreSQL deleted rows would leave deferred foreign-key events that
        # forbid dropping the table in this transaction.
        for table in (STATIC_TOKEN, STATIC_DEVICE, TOTP):
            if table in tables:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
        cursor.execute("DELETE FROM django_migrations WHERE app IN ('otp_totp', 'otp_static')")
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA secure_delete = {int(secure)}")


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0004_second_factor_devices"),
    ]

    operations = [
        # Irreversible: the clear copies are gone, and going back would drop every second factor.
        migrations.RunPython(move, elidable=False),
    ]
