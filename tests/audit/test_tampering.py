"""Tampering with the ledger is caught and named by seq: one test per kind of change, on SQLite and PostgreSQL
(where the append-only trigger has to be switched off first, as an attacker with table-owner rights would)."""
from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import services, signing
from audit.chain import checkpoint_message, link_hash, tree_head_message
from audit.mac import entry_mac
from audit.models import AuditEntry, ChainHead, Checkpoint
from audit.verify import verify_chain

from .helpers import append, forged, insert_raw, row, set_head, sql, tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Ten entries, the first five covered by a signed checkpoint."""
    append(5)
    assert services.checkpoint().seq == 5
    append(5)
    result = verify_chain()
    assert result.ok and result.count == 10 and result.checkpoints == 1, result.message
    return AuditEntry.objects.order_by("seq")


def test_an_untouched_chain_verifies_and_an_empty_one_too(chain):
    assert verify_chain().message == "OK 10 entries"


@pytest.mark.django_db
def test_an_empty_chain_is_ok():
    assert verify_chain().message == "OK 0 entries"


def test_editing_a_field_is_caught_at_that_seq(chain):
    with tampering():
        sql("UPDATE audit_auditentry SET data = %s WHERE seq = 7", ['{"i":99}'])
    result = verify_chain()
    assert not result.ok
    assert (result.first_bad_seq, result.reason) == (7, "hash mismatch")
    assert result.message == "FAIL at seq 7: hash mismatch"
    assert result.count == 6  # the entries before it checked out


@pytest.mark.parametrize("column, value", [("actor_name", "领导"), ("action", "telegram.view_body"), ("object_id", "42")])
def test_editing_any_hashed_column_is_caught(chain, column, value):
    with tampering():
        sql(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = 3", [value])
    assert verify_chain().first_bad_seq == 3


def _rehash_from_3(chain, *, with_app_key: bool):
    entries = list(chain)
    prev = entries[2].prev_hash
    with tampering():
        for e in entries[2:]:
            data = '{"i":"改"}' if e.seq == 3 else e.data
            digest = link_hash(prev, e.seq, e.at, e.actor_id, e.actor_name, e.action, e.object_type, e.object_id, data)
            mac = entry_mac(digest) if with_app_key else e.mac
            sql("UPDATE audit_auditentry SET data = %s, prev_hash = %s, hash = %s, mac = %s WHERE seq = %s",
                [data, prev, digest, mac, e.seq])
            prev = digest
        set_head(10, prev)


def test_editing_a_field_and_rehashing_the_rest_of_the_chain_is_caught_by_the_mac(chain):
    """A forger with database access recomputes every later hash and the head: the chain links, but the MACs
    (keyed by a secret the database does not hold) no longer match from the edited entry on."""
    _rehash_from_3(chain, with_app_key=False)
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (3, "bad entry mac")


def test_entries_written_under_a_rotated_key_verify_while_it_is_a_fallback(chain, settings):
    """DJANGO_SECRET_KEY rotates: the old key moves to DJANGO_SECRET_KEY_FALLBACKS and the entries it keyed still
    verify; dropped from the fallbacks, they read as written by someone without the key."""
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    append(2)  # keyed by the new secret
    assert verify_chain().message == "OK 12 entries"
    settings.SECRET_KEY_FALLBACKS = []
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (1, "bad entry mac")


def test_rehashing_with_the_applications_key_is_caught_by_the_checkpoint(chain):
    """Even an insider holding the application's secret key leaves a chain the signed checkpoint at seq 5
    no longer matches."""
    _rehash_from_3(chain, with_app_key=True)
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (5, "checkpoint hash mismatch")


def test_deleting_an_entry_is_caught_as_a_gap(chain):
    with tampering():
        sql("DELETE FROM audit_auditentry WHERE seq = 4")
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (4, "entry missing (deleted)")


def test_deleting_an_entry_and_renumbering_the_rest_is_caught(chain):
    with tampering():
        sql("DELETE FROM audit_auditentry WHERE seq = 4")
        sql("UPDATE audit_auditentry SET seq = seq + 1000000 WHERE seq > 4")
        sql("UPDATE audit_auditentry SET seq = seq - 1000001 WHERE seq > 1000000")
        set_head(9, row(9).hash)
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (4, "prev_hash mismatch")


def test_cutting_off_the_tail_is_caught_by_the_head(chain):
    with tampering():
        sql("DELETE FROM audit_auditentry WHERE seq > 8")
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (9, "chain truncated")


def test_cutting_off_the_tail_and_rewinding_the_head_is_caught_by_the_checkpoint(chain):
    with tampering():
        sql("DELETE FROM audit_auditentry WHERE seq > 3")
        set_head(3, row(3).hash)
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (5, "checkpoint beyond chain head")


@pytest.mark.parametrize("with_app_key, reason", [(False, "bad entry mac"), (True, "entry inserted")])
def test_inserting_an_entry_in_the_middle_is_caught_at_the_inserted_seq(chain, with_app_key, reason):
    """Make room after seq 6 and slip in a well-formed entry that links to seq 6."""
    with tampering():
        sql("UPDATE audit_auditentry SET seq = seq + 1000000 WHERE seq > 6")
        sql("UPDATE audit_auditentry SET seq = seq - 999999 WHERE seq > 1000000")
        insert_raw(forged(7, row(6).hash, with_app_key=with_app_key))
        set_head(11, row(11).hash)
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (7, reason)


def test_appending_an_entry_behind_the_heads_back_is_caught(chain):
    with tampering():
        insert_raw(forged(11, row(10).hash))
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (11, "entry beyond chain head")


def test_swapping_two_entries_is_caught(chain):
    with tampering():
        sql("UPDATE audit_auditentry SET seq = 1000000 WHERE seq = 6")
        sql("UPDATE audit_auditentry SET seq = 6 WHERE seq = 7")
        sql("UPDATE audit_auditentry SET seq = 7 WHERE seq = 1000000")
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (6, "prev_hash mismatch")


def test_swapping_the_contents_of_two_entries_keeping_their_seqs_is_caught(chain):
    a, b = row(8), row(9)
    with tampering():
        for target, src in ((8, b), (9, a)):
            sql("UPDATE audit_auditentry SET action = %s, data = %s, at = %s WHERE seq = %s",
                [src.action, src.data, src.at, target])
    a2 = row(8)
    assert a2.data == b.data
    assert verify_chain().first_bad_seq == 8


def test_a_broken_checkpoint_signature_is_caught(chain):
    cp = Checkpoint.objects.get()
    sig = bytearray(base64.b64decode(cp.signature))
    sig[0] ^= 1
    with tampering():
        sql("UPDATE audit_checkpoint SET signature = %s WHERE id = %s", [base64.b64encode(bytes(sig)).decode(), cp.pk])
    result = verify_chain()
    assert (result.first_bad_seq, result.reason) == (5, "bad checkpoint signature")


def test_a_checkpoint_re_signed_with_another_key_is_caught(chain):
    """The public key stored with the checkpoint is not trusted: only the configured (or given) key is."""
    cp = Checkpoint.objects.get()
    forger = Ed25519PrivateKey.generate()
    sig = base64.b64encode(forger.sign(checkpoint_message(cp.seq, cp.hash, cp.at))).decode()
    tree_sig = base64.b64encode(forger.sign(tree_head_message(cp.seq, cp.tree_root, cp.hash, cp.at))).decode()
    with tampering():
        sql("UPDATE audit_checkpoint SET signature = %s, public_key = %s, tree_signature = %s WHERE id = %s",
            [sig, signing.public_key_b64(forger.public_key()), tree_sig, cp.pk])
    assert verify_chain().reason == "bad checkpoint signature"
    # Trusting the forger's key would pass the database's checkpoints, which is why the key is kept outside the
    # DB; the witness log outside the database still holds the real signer's lines.
    assert verify_chain(public_keys=[forger.public_key()]).reason == "bad witness signature"
    assert verify_chain(public_keys=[forger.public_key()], witness_files=[]).ok


def test_verification_against_a_key_kept_outside_the_database(chain):
    outside = signing.load_public_key(signing.public_key_b64())
    assert verify_chain(public_keys=[outside]).ok
    other = Ed25519PrivateKey.generate().public_key()
    result = verify_chain(public_keys=[other])
    assert (result.first_bad_seq, result.reason) == (5, "bad checkpoint signature")


def test_checkpoints_sign_only_when_there_is_something_new(chain):
    assert services.checkpoint().seq == 10
    assert services.checkpoint() is None
    append(1)
    assert services.checkpoint().seq == 11
    assert verify_chain().checkpoints == 3


def test_the_signer_refuses_to_sign_a_chain_broken_since_the_last_checkpoint(chain):
    with tampering():
        sql("UPDATE audit_auditentry SET data = %s WHERE seq = 8", ['{"i":"改"}'])
    assert services.checkpoint() is None
    assert Checkpoint.objects.count() == 1


def test_progress_is_reported(chain, monkeypatch):
    import audit.verify

    monkeypatch.setattr(audit.verify, "PROGRESS_EVERY", 4)
    seen = []
    verify_chain(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_the_head_row_always_matches_the_last_entry(chain):
    head = ChainHead.objects.get()
    last = AuditEntry.objects.order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash)


def test_entries_stamped_on_a_whole_second_verify(monkeypatch):
    """The database formats the time for the hash; a time with no microseconds is stored without a fraction."""
    from datetime import UTC, datetime

    import audit.services

    monkeypatch.setattr(audit.services.timezone, "now", lambda: datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC))
    append(2)
    monkeypatch.undo()
    append(1)
    result = verify_chain(now=datetime(2026, 3, 1, 8, 1, 0, tzinfo=UTC))  # as of then: no checkpoint overdue yet
    assert result.ok and result.count == 3, result.message
