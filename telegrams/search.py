"""The register's search: receipt number, sender, sender's number and title by trigram (pg_trgm GIN indexes,
migration 0002; icontains on SQLite), and the body through its blind index (vault/blind.py) — the query's
bigram tags select candidates, which are decrypted and confirmed; the body's text is never in the database."""
from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from vault import blind, crypto

from .models import BodyIndex, Telegram

MAX_QUERY = 100


def clean(value: str) -> str:
    return value.strip()[:MAX_QUERY]


def _doc_no(value: str) -> str:
    return value.replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")


def header_q(value: str) -> Q:
    """The header fields (icontains: the trigram indexes on PostgreSQL)."""
    return (Q(receipt_no__icontains=value) | Q(sender_unit_name__icontains=value)
            | Q(sender_doc_no__icontains=_doc_no(value)) | Q(title__icontains=value))


def header_matches(t: Telegram, value: str) -> bool:
    """What header_q selects, for one loaded row (the same case-insensitive containment)."""
    v = value.casefold()
    return any(v in (field or "").casefold() for field in (t.receipt_no, t.sender_unit_name, t.title)) or \
        _doc_no(value).casefold() in (t.sender_doc_no or "").casefold()


def body_candidates_q(value: str) -> Q | None:
    """Telegrams whose blind index holds every bigram tag of the query, under any index key (None: the query is
    shorter than a bigram, so the body is not searched)."""
    wanted = blind.query_tags(value)
    if not wanted:
        return None
    per_key = Q()
    for kid, tags in wanted.items():
        per_key |= Q(key_id=kid, tags__hasall=tags)
    # EXISTS, not IN: beside the header fields' ORs the planner checks the rows it walks in the register's order
    # (a primary-key probe each) instead of hashing every telegram that has a common bigram; alone, it joins
    # from the GIN index.
    return Q(Exists(BodyIndex.objects.filter(per_key, telegram_id=OuterRef("pk"))))


def search_q(value: str) -> Q:
    """Header fields, or the body's candidates (confirm the rows shown: `confirm`)."""
    body = body_candidates_q(value)
    return header_q(value) | body if body is not None else header_q(value)


# Where no page confirms the rows it shows (the API's list, the register's exports), body matches are confirmed
# before the query: at most this many candidates, newest first, are decrypted (the rest is not searched).
CONFIRM_LIMIT = 5_000


def confirmed_q(value: str, within: QuerySet) -> Q:
    """Header fields, or the body — its candidates among `within` decrypted and confirmed first."""
    body = body_candidates_q(value)
    if body is None:
        return header_q(value)
    candidates = within.filter(body).exclude(header_q(value)).order_by("-received_at", "-id")
    sure = [pk for pk, uid, enc in candidates.values_list("pk", "uid", "body_enc")[:CONFIRM_LIMIT]
            if enc and blind.matches(crypto.open_text(enc, crypto.aad_for("telegram", uid, "body")), value)]
    return header_q(value) | Q(pk__in=sure)


def confirm(rows: list[Telegram], value: str) -> list[Telegram]:
    """Keep the rows that really match: a header field does, or the decrypted body contains the query (a tag
    may collide, and bigrams present apart are no match). Only the candidates are decrypted."""
    unsure = [t.pk for t in rows if not header_matches(t, value)]
    if not unsure:
        return rows
    bodies = {pk: (uid, enc) for pk, uid, enc in Telegram.objects.filter(pk__in=unsure).values_list("pk", "uid", "body_enc")}
    confirmed = set()
    for pk, (uid, enc) in bodies.items():
        if enc and blind.matches(crypto.open_text(enc, crypto.aad_for("telegram", uid, "body")), value):
            confirmed.add(pk)
    return [t for t in rows if t.pk not in unsure or t.pk in confirmed]


def body_search(value: str, *, limit: int = 50, qs: QuerySet | None = None) -> list[Telegram]:
    """The newest `limit` telegrams whose body contains `value` (candidates by tag, confirmed by decryption)."""
    body = body_candidates_q(clean(value))
    if body is None:
        return []
    qs = (qs if qs is not None else Telegram.objects.all()).filter(body).order_by("-received_at", "-id")
    found: list[Telegram] = []
    offset = 0
    while len(found) < limit:
        batch = list(qs[offset: offset + limit])
        for t in batch:
            if t.body_enc and blind.matches(t.body, value):
                found.append(t)
        if len(batch) < limit:
            break
        offset += limit
    return found[:limit]


def new_index_insert(telegram: Telegram, text: str) -> tuple[str, list] | None:
    """The INSERT of a new telegram's blind-index row as (sql, params), for the registration to run with its
    number (telegrams.numbering.number(also=…): one round trip fewer); None for an empty body."""
    if not text:
        return None
    kid, tags = blind.tags(text)
    meta, quote = BodyIndex._meta, connection.ops.quote_name
    field = meta.get_field("tags")
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("telegram", "key_id", "tags"))
    return (f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, {field.get_placeholder(tags, None, connection)})",
            [telegram.pk, kid, field.get_db_prep_value(tags, connection)])


def rebuild(*, batch_size: int = 500, everything: bool = False) -> tuple[int, int]:
    """Re-tag every telegram whose index is missing or under an earlier index key (all of them: `everything`);
    each batch its own transaction, so a stopped run resumes. Returns (re-tagged, already current)."""
    current = blind.index_keyring().current
    redone = 0
    last = 0
    while True:
        stale = Telegram.objects.filter(pk__gt=last).exclude(body_enc="").order_by("pk")
        if not everything:
            stale = stale.exclude(body_index__key_id=current)
        batch: Iterable = list(stale.values_list("pk", "uid", "body_enc")[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            rows = []
            for pk, uid, enc in batch:
                kid, tags = blind.tags(crypto.open_text(enc, crypto.aad_for("telegram", uid, "body")))
                rows.append(BodyIndex(telegram_id=pk, key_id=kid, tags=tags))
            BodyIndex.objects.filter(telegram_id__in=[r.telegram_id for r in rows]).delete()
            BodyIndex.objects.bulk_create(rows)
        redone += len(batch)
        last = batch[-1][0]
    kept = BodyIndex.objects.filter(key_id=current).count() - redone
    return redone, max(kept, 0)
