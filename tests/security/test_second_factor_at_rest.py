"""The second factor at rest: whoever reads the database (the SQLite file, a pg_dump, a backup) finds neither an
authenticator's secret nor a recovery code. The key is sealed with the data keys (and re-sealed by rotate_keys),
each recovery code is a salted slow hash; the devices django-otp kept in clear are moved by migration 0005."""
from __future__ import annotations

import base64
import importlib
import re
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse

from core.secrets import new_data_key_ring
from directory.devices import RecoveryCodeSet, code_matches
from directory.models import Authenticator, RecoveryCode
from tests.vault.test_at_rest import raw_database
from vault import crypto, registry

from .test_second_factor import _login, enrol, totp

pytestmark = pytest.mark.django_db


def _forms(secret_b32: str) -> list[bytes]:
    """Every form the secret could take in storage: base32 (as shown), hex (django-otp's column), raw bytes."""
    raw = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return [secret_b32.encode(), secret_b32.lower().encode(), raw.hex().encode(), raw.hex().upper().encode(), raw]


@pytest.mark.django_db(transaction=True)  # the raw file / pg_dump only sees committed data
def test_neither_the_authenticator_secret_nor_a_recovery_code_is_in_the_raw_database(demo):
    leader = Client()
    _login(leader, "leader")
    secret, codes, at = enrol(leader)
    leader.post(reverse("otp_setup"), {"action": "recovery"})  # a second set: the first one's codes are gone too
    fresh = re.findall(r"<li><code>([a-z2-7]{8})</code></li>",
                       leader.post(reverse("otp_setup"), {"action": "recovery"}).content.decode())
    assert len(fresh) == 10

    # They were really stored: the code of the next step and an unused recovery code are accepted.
    leader.post(reverse("logout"))
    _login(leader, "leader")
    assert leader.post(reverse("otp_verify"), {"token": totp(secret, at + 30)}).status_code == 302
    leader.post(reverse("logout"))
    _login(leader, "leader")
    assert leader.post(reverse("otp_verify"), {"token": fresh[0]}).status_code == 302

    raw = raw_database()
    assert b"leader" in raw and Authenticator.objects.get().key_enc.encode() in raw  # the bytes are the database
    found = [f for f in _forms(secret) if f in raw]
    assert not found, "the authenticator's secret is in the raw database"
    found = [c for c in [*codes, *fresh] if c.encode() in raw or c.upper().encode() in raw]
    assert not found, f"recovery codes in the raw database: {found}"


def test_the_key_is_sealed_to_its_row_and_the_codes_are_argon2_hashes(leader):
    device = Authenticator.objects.create(user=leader, name="身份验证器", confirmed=True)
    other = Authenticator.objects.create(user=leader, name="身份验证器", confirmed=False)
    assert device.key_enc.startswith(crypto.TEXT_PREFIX) and len(device.bin_key) == 20
    (kind,) = [k for k in registry.sealed_fields() if k.label == "directory.Authenticator"]
    assert crypto.open_text(device.key_enc, kind.aad(device)) == device.bin_key.hex()
    with pytest.raises(crypto.VaultError):  # copied onto another row, it opens nowhere
        crypto.open_text(device.key_enc, kind.aad(other))

    codes = RecoveryCodeSet.objects.create(user=leader, name="恢复码").issue(3)
    hashes = list(RecoveryCode.objects.values_list("code_hash", flat=True))
    # Argon2id at OWASP's minimum, whatever PASSWORD_HASHERS says (the tests' is MD5).
    assert all(h.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    assert len(set(hashes)) == 3 and not any(c in h for c in codes for h in hashes)  # salted, never the code
    assert all(any(code_matches(c, h) for h in hashes) for c in codes)
    assert not any(code_matches("k7q2m4xa", h) for h in hashes)


def test_a_recovery_code_is_spent_once_even_as_a_hash(leader):
    device = RecoveryCodeSet.objects.create(user=leader, name="恢复码")
    first, second = device.issue(2)
    assert not device.verify_token("aaaaaaaa")  # a wrong code counts as a failure (back-off)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    assert device.verify_token(first) and device.codes.count() == 1
    device.throttle_reset()
    assert not device.verify_token(first)  # spent
    device.throttle_reset()
    assert device.verify_token(second) and device.codes.count() == 0


def test_rotate_keys_reseals_the_authenticator_key_and_it_keeps_working(demo, settings):
    old, new = new_data_key_ring(), new_data_key_ring()
    settings.TELEGRAM_DATA_KEYS = old
    leader = Client()
    _login(leader, "leader")
    secret, _, at = enrol(leader)
    device = Authenticator.objects.get(user=demo["leader"], confirmed=True)
    assert crypto.text_key_id(device.key_enc) == old.split(":")[0]

    settings.TELEGRAM_DATA_KEYS = f"{new},{old}"
    call_command("rotate_keys", stdout=StringIO(), stderr=StringIO())
    device.refresh_from_db()
    assert crypto.text_key_id(device.key_enc) == new.split(":")[0]

    settings.TELEGRAM_DATA_KEYS = new  # the old key is gone from the ring: the authenticator still signs in
    leader.post(reverse("logout"))
    _login(leader, "leader")
    assert leader.post(reverse("otp_verify"), {"token": totp(secret, at + 30)}).status_code == 302
    assert leader.get(reverse("annotations:inbox")).status_code == 200


# --- migration 0005: the devices django-otp kept in clear ------------------------------------------------------

OLD_TABLES = {
    "otp_totp_totpdevice": "id integer PRIMARY KEY, user_id integer NOT NULL, name varchar(64) NOT NULL, "
                           "confirmed boolean NOT NULL, key varchar(80) NOT NULL, step smallint NOT NULL, "
                           "t0 bigint NOT NULL, digits smallint NOT NULL, tolerance smallint NOT NULL, "
                           "drift smallint NOT NULL, last_t bigint NOT NULL, "
                           "throttling_failure_timestamp timestamp with time zone NULL, "
                           "throttling_failure_count integer NOT NULL, created_at timestamp with time zone NULL, "
                           "last_used_at timestamp with time zone NULL",
    "otp_static_staticdevice": "id integer PRIMARY KEY, user_id integer NOT NULL, name varchar(64) NOT NULL, "
                               "confirmed boolean NOT NULL, throttling_failure_timestamp timestamp with time zone NULL, "
                               "throttling_failure_count integer NOT NULL, created_at timestamp with time zone NULL, "
                               "last_used_at timestamp with time zone NULL",
    "otp_static_statictoken": "id integer PRIMARY KEY, device_id integer NOT NULL, token varchar(16) NOT NULL",
}
HEX_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key "12345678901234567890"
TOKENS = ["k7q2m4xa", "p3z5n6wb"]


class _Editor:
    """What RunPython hands the migration: the connection."""

    connection = connection


@pytest.mark.django_db(transaction=True)  # DDL, and the raw file / pg_dump see only committed data
def test_migration_0005_moves_clear_devices_and_drops_the_clear_tables(demo):
    leader, clerk = demo["leader"], demo["clerk"]
    with connection.cursor() as cursor:
        for table, columns in OLD_TABLES.items():
            cursor.execute(f"CREATE TABLE {table} ({columns})")
        when = "2026-03-01 08:00:00+00:00"
        totp_row = ("INSERT INTO otp_totp_totpdevice VALUES "
                    "(%s, %s, %s, %s, %s, 30, 0, 6, 1, 0, %s, NULL, 0, %s, NULL)")
        cursor.execute(totp_row, [1, leader.pk, "手机", True, HEX_KEY, 5, when])
        cursor.execute(totp_row, [2, leader.pk, "旧手机", True, "ab" * 20, 1, when])  # a second confirmed one
        cursor.execute(totp_row, [3, clerk.pk, "身份验证器", False, "cd" * 20, -1, None])  # being enrolled
        cursor.execute("INSERT INTO otp_static_staticdevice VALUES (%s, %s, %s, %s, NULL, 2, %s, NULL)",
                       [1, leader.pk, "恢复码", True, when])
        for n, token in enumerate(TOKENS, start=1):
            cursor.execute("INSERT INTO otp_static_statictoken VALUES (%s, %s, %s)", [n, 1, token])
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('otp_totp', '0001_initial', %s)",
                       [when])
    migration = importlib.import_module("directory.migrations.0005_move_clear_otp_devices")
    state = MigrationLoader(connection).project_state(("directory", "0005_move_clear_otp_devices"))
    with transaction.atomic():  # as migrate runs it
        migration.move(state.apps, _Editor())

    assert not set(OLD_TABLES) & set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app IN ('otp_totp', 'otp_static')")
        assert cursor.fetchone()[0] == 0
    mine = Authenticator.objects.get(user=leader)  # one per person: the one used last (highest last_t) won
    assert (mine.name, mine.confirmed, mine.last_t, mine.bin_key.hex()) == ("手机", True, 5, HEX_KEY)
    assert mine.created_at.isoformat() == "2026-03-01T08:00:00+00:00"
    assert Authenticator.objects.get(user=clerk).confirmed is False
    codes = RecoveryCodeSet.objects.get(user=leader)
    assert codes.throttling_failure_count == 2 and codes.codes.count() == 2

    # It works as before: an RFC 6238 code of the moved key (after the last step used), each old code once.
    at = time.time()
    mine.throttle_reset()
    assert mine.verify_token(totp(base64.b32encode(bytes.fromhex(HEX_KEY)).decode(), at))
    codes.throttle_reset()
    assert codes.verify_token(TOKENS[1]) and not codes.verify_token(TOKENS[1])

    raw = raw_database()
    assert mine.key_enc.encode() in raw
    assert HEX_KEY.encode() not in raw and ("ab" * 20).encode() not in raw and ("cd" * 20).encode() not in raw
    assert not [t for t in TOKENS if t.encode() in raw]


def test_migration_0005_leaves_a_database_without_django_otp_tables_alone(demo):
    migration = importlib.import_module("directory.migrations.0005_move_clear_otp_devices")
    state = MigrationLoader(connection).project_state(("directory", "0005_move_clear_otp_devices"))
    before = Authenticator.objects.count()
    migration.move(state.apps, _Editor())
    assert Authenticator.objects.count() == before
