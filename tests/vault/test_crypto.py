"""The sealing primitives: what opens, and everything that must not."""
from __future__ import annotations

import base64
import uuid

import pytest

from vault import crypto
from vault.crypto import KeyRing, VaultError

from .conftest import new_key

BODY = "4月30日，在“五一”国际劳动节来临之际，习近平总书记给郑州圆方集团职工回信……"


def ring(*specs: str) -> KeyRing:
    return KeyRing.parse(",".join(specs))


@pytest.fixture
def two():
    (a_kid, a), (b_kid, b) = new_key(), new_key()
    return {"a_kid": a_kid, "a": a, "b_kid": b_kid, "b": b}


def test_a_body_round_trips_and_the_token_carries_the_key_id_but_not_the_text(two):
    r = ring(two["a"], two["b"])
    aad = crypto.aad_for("telegram", uuid.uuid4(), "body")
    token = crypto.seal_text(BODY, aad, r)
    assert crypto.open_text(token, aad, r) == BODY
    assert crypto.text_key_id(token) == two["a_kid"]  # the first key encrypts
    assert "国际劳动节" not in token and "国际劳动节".encode() not in base64.b64decode(token[3:])
    # A fresh nonce per value: the same text sealed twice gives two different tokens.
    assert crypto.seal_text(BODY, aad, r) != token


def test_every_key_of_the_ring_decrypts(two):
    aad = crypto.aad_for("telegram", uuid.uuid4(), "body")
    old_token = crypto.seal_text(BODY, aad, ring(two["b"]))
    assert crypto.open_text(old_token, aad, ring(two["a"], two["b"])) == BODY


def test_a_ciphertext_copied_to_another_row_fails_to_open(two):
    r = ring(two["a"])
    token = crypto.seal_text(BODY, crypto.aad_for("telegram", uuid.uuid4(), "body"), r)
    with pytest.raises(VaultError, match="校验失败"):
        crypto.open_text(token, crypto.aad_for("telegram", uuid.uuid4(), "body"), r)


def test_a_ciphertext_copied_to_another_field_or_kind_fails_to_open(two):
    r, row = ring(two["a"]), uuid.uuid4()
    token = crypto.seal_text(BODY, crypto.aad_for("telegram", row, "body"), r)
    for aad in (crypto.aad_for("telegram", row, "instruction"), crypto.aad_for("annotation", row, "text")):
        with pytest.raises(VaultError):
            crypto.open_text(token, aad, r)


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_a_tampered_ciphertext_fails_to_open(two, where):
    r, aad = ring(two["a"]), crypto.aad_for("scan", uuid.uuid4(), "content")
    blob = bytearray(crypto.seal(b"%PDF-1.4 scan", aad, r))
    start = len(two["a_kid"]) + 1
    index = {"nonce": start + 3, "ciphertext": start + 12 + 2, "tag": len(blob) - 1}[where]
    blob[index] ^= 0x01
    with pytest.raises(VaultError, match="校验失败"):
        crypto.open_sealed(bytes(blob), aad, r)


def test_a_value_under_a_key_no_longer_in_the_ring_names_the_missing_key(two):
    aad = crypto.aad_for("delivery", 7, "result")
    token = crypto.seal_text("已办结", aad, ring(two["a"]))
    with pytest.raises(VaultError) as err:
        crypto.open_text(token, aad, ring(two["b"]))
    assert two["a_kid"] in str(err.value) and "TELEGRAM_DATA_KEYS" in str(err.value)


@pytest.mark.parametrize("token", ["not a token", "v1:@@@", "v1:" + base64.b64encode(b"no-separator").decode(),
                                   "v1:" + base64.b64encode(b"k1\x00short").decode()])
def test_garbage_is_refused_as_malformed_not_crashed_on(two, token):
    with pytest.raises(VaultError):
        crypto.open_text(token, b"x", ring(two["a"]))


def test_text_key_id_reads_the_id_and_refuses_garbage(two):
    token = crypto.seal_text("x", b"aad", ring(two["b"], two["a"]))
    assert crypto.text_key_id(token) == two["b_kid"]
    assert crypto.text_key_id("") == ""
    for bad in ("plain text", "v1:***"):
        with pytest.raises(VaultError):
            crypto.text_key_id(bad)


@pytest.mark.parametrize("spec, message", [
    ("", "empty"),
    ("k1", "kid:base64"),
    ("k1:not-base64!", "not valid base64"),
    ("k1:" + base64.b64encode(b"x" * 16).decode(), "32 bytes"),
    ("k 1:" + base64.b64encode(b"x" * 32).decode(), "printable"),
    ("k" * 33 + ":" + base64.b64encode(b"x" * 32).decode(), "printable"),
    ("k1:" + base64.b64encode(b"x" * 32).decode() + ",k1:" + base64.b64encode(b"y" * 32).decode(), "twice"),
])
def test_a_malformed_key_ring_is_refused_with_the_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        KeyRing.parse(spec)


def test_the_system_check_reports_a_malformed_ring(settings):
    from vault.checks import data_keys_parse

    assert data_keys_parse(None) == []
    settings.TELEGRAM_DATA_KEYS = "k1:short"
    assert [e.id for e in data_keys_parse(None)] == ["vault.E001"]


def test_changing_the_setting_changes_the_ring_in_use(settings, two):
    settings.TELEGRAM_DATA_KEYS = two["a"]
    assert crypto.keyring().current == two["a_kid"]
    settings.TELEGRAM_DATA_KEYS = f"{two['b']},{two['a']}"
    assert crypto.keyring().current == two["b_kid"]
