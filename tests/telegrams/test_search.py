"""The register's search (header fields and the body through its blind index) and its keyset pages."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from telegrams import search
from telegrams.models import BodyIndex, Telegram
from tests import factories
from vault import blind

pytestmark = pytest.mark.django_db

KEY_A = "ia:" + base64.b64encode(b"A" * 32).decode()
KEY_B = "ib:" + base64.b64encode(b"B" * 32).decode()


def _numbers(client, params) -> list[str]:
    page = client.get(reverse("telegrams:register"), params).context["page"]
    return [t.receipt_no for t in page]


def test_search_finds_by_title_sender_number_and_body_words(clerk, clerk_client):
    a = factories.another(clerk, title="关于冬季供暖保障的通知", body="请各地做好煤炭储备和管网检修工作。")
    b = factories.another(clerk, sender_unit_name="应急管理部办公厅", body="森林草原防火形势严峻。")
    c = factories.another(clerk, body="高温天气防范要点如下。")
    assert _numbers(clerk_client, {"q": "冬季供暖"}) == [a.receipt_no]
    assert _numbers(clerk_client, {"q": "应急管理部"}) == [b.receipt_no]
    assert _numbers(clerk_client, {"q": c.sender_doc_no}) == [c.receipt_no]
    assert _numbers(clerk_client, {"q": c.receipt_no}) == [c.receipt_no]
    # Body words, two to four characters, and the middle of a sentence; case and width do not matter.
    assert _numbers(clerk_client, {"q": "管网"}) == [a.receipt_no]
    assert _numbers(clerk_client, {"q": "草原防火"}) == [b.receipt_no]
    assert _numbers(clerk_client, {"q": "天气防"}) == [c.receipt_no]
    assert _numbers(clerk_client, {"q": "不存在的词"}) == []
    assert search.body_search("煤炭储备") == [Telegram.objects.get(pk=a.pk)]


def test_a_candidate_whose_bigrams_are_only_apart_is_not_a_match(clerk, clerk_client):
    # 财政 and 政厅 are both in the body, 财政厅 is not: the tags select it, the decrypted body rules it out.
    t = factories.another(clerk, body="请财政部门会同民政厅办理。")
    assert Telegram.objects.filter(search.body_candidates_q("政厅")).filter(pk=t.pk).exists()
    assert Telegram.objects.filter(search.body_candidates_q("财政厅")).get().pk == t.pk  # a candidate…
    assert _numbers(clerk_client, {"q": "财政厅"}) == []  # …but no match
    assert search.body_search("财政厅") == []
    assert _numbers(clerk_client, {"q": "民政厅"}) == [t.receipt_no]


def test_the_index_holds_tags_not_text(clerk):
    body = "正文只在密文里：核对标记甲乙丙丁。"
    t = factories.another(clerk, body=body)
    index = BodyIndex.objects.get(telegram=t)
    assert all(isinstance(tag, int) and -2**31 <= tag < 2**31 for tag in index.tags)
    assert len(index.tags) == len(blind.grams(body))  # one tag per distinct bigram (no collision here)
    assert body not in t.body_enc and "甲乙" not in str(index.tags)


def test_index_key_rotation_keeps_search_working_and_the_rebuild_moves_every_row(clerk, clerk_client, settings):
    settings.TELEGRAM_INDEX_KEYS = KEY_A
    t = factories.another(clerk, body="防汛抗旱物资调拨方案。")
    assert BodyIndex.objects.get(telegram=t).key_id == "ia"
    settings.TELEGRAM_INDEX_KEYS = f"{KEY_B},{KEY_A}"  # new key first, the old one still searched
    assert _numbers(clerk_client, {"q": "物资调拨"}) == [t.receipt_no]
    call_command("rebuild_body_index")
    assert BodyIndex.objects.get(telegram=t).key_id == "ib"
    settings.TELEGRAM_INDEX_KEYS = KEY_B  # the old key gone: found under the new one
    assert _numbers(clerk_client, {"q": "物资调拨"}) == [t.receipt_no]
    settings.TELEGRAM_INDEX_KEYS = KEY_A  # tags under another key find nothing: the key matters
    assert _numbers(clerk_client, {"q": "物资调拨"}) == []


def test_rebuild_indexes_telegrams_without_an_index(clerk, clerk_client):
    t = factories.another(clerk, body="统计数据报送口径说明。")
    BodyIndex.objects.filter(telegram=t).delete()
    assert _numbers(clerk_client, {"q": "报送口径"}) == []
    call_command("rebuild_body_index")
    assert _numbers(clerk_client, {"q": "报送口径"}) == [t.receipt_no]


def _walk(client, params, direction="next") -> list[list[str]]:
    """Every page from the first, following 下一页 (then back with 上一页), as the links on the page say."""
    url = reverse("telegrams:register")
    page = client.get(url, params).context["page"]
    pages = [[t.receipt_no for t in page]]
    while page.has_next:
        page = client.get(url + page.next_url).context["page"]
        pages.append([t.receipt_no for t in page])
    return pages


def test_keyset_pages_walk_forward_and_back_with_filters_and_skip_nothing_under_inserts(
    clerk, clerk_client, monkeypatch
):
    import desk.views

    monkeypatch.setattr(desk.views, "PAGE_SIZE", 3)
    made = [factories.another(clerk, precedence="平急" if n % 3 else "加急", title=f"关于第{n}批通知") for n in range(14)]
    wanted = [t.receipt_no for t in sorted((t for t in made if t.precedence == "平急"),
                                           key=lambda t: (t.received_at, t.pk), reverse=True)]
    params = {"precedence": "平急", "q": "通知"}
    url = reverse("telegrams:register")
    page = clerk_client.get(url, params).context["page"]
    seen = [t.receipt_no for t in page]
    # Telegrams registered while the clerk pages (newest first: they land on page 1) shift nothing.
    factories.another(clerk, precedence="平急", title="新到的通知")
    forward = [page]
    while page.has_next:
        assert "precedence=" in page.next_url and "q=" in page.next_url  # the filters ride along
        page = clerk_client.get(url + page.next_url).context["page"]
        seen += [t.receipt_no for t in page]
        forward.append(page)
        factories.another(clerk, precedence="平急", title="又一件通知")
    assert seen == wanted  # nothing skipped, nothing twice, in order
    assert [p.number for p in forward] == list(range(1, len(forward) + 1))
    back = []
    while page.has_previous:
        page = clerk_client.get(url + page.previous_url).context["page"]
        back.append([t.receipt_no for t in page])
    # Back through the same pages, then on to the telegrams registered meanwhile (they are newer).
    n = len(forward) - 1
    assert back[:n] == [[t.receipt_no for t in p] for p in reversed(forward[:-1])]
    newer = [x for p in back[n:] for x in p]
    assert len(newer) == len(set(newer)) == len(forward) and not set(newer) & set(wanted)


def test_page_numbers_still_jump_and_counts_are_exact_when_small(clerk, clerk_client, monkeypatch):
    import desk.views

    monkeypatch.setattr(desk.views, "PAGE_SIZE", 2)
    made = [factories.another(clerk) for _ in range(5)]
    page = clerk_client.get(reverse("telegrams:register"), {"page": 2}).context["page"]
    newest = sorted(made, key=lambda t: (t.received_at, t.pk), reverse=True)
    assert [t.pk for t in page] == [t.pk for t in newest[2:4]]
    assert page.exact and page.count == 5 and page.num_pages == 3 and page.number == 2
    html = clerk_client.get(reverse("telegrams:register"), {"page": 2}).content.decode()
    assert "第 2 / 3 页，共 5 件" in html and "下一页" in html and "上一页" in html


def test_a_tampered_cursor_is_page_one(clerk, clerk_client):
    t = factories.another(clerk)
    for bad in ("xyz", "W1siYSJdLDFd", base64.urlsafe_b64encode(b'[["2020-01-01T00:00:00+00:00", 1], 2]').decode()):
        response = clerk_client.get(reverse("telegrams:register"), {"after": bad})
        assert response.status_code == 200
    assert t.receipt_no in clerk_client.get(reverse("telegrams:register"), {"after": "xyz"}).content.decode()


def test_the_api_and_the_export_find_body_words_confirmed(clerk, clerk_client):
    from printing import exports

    t = factories.another(clerk, body="请财政部门会同民政厅办理，做好粮食收购资金保障。")
    qs, _ = exports.register_queryset({"q": "收购资金"})
    assert [x.pk for x in qs] == [t.pk]
    qs, _ = exports.register_queryset({"q": "财政厅"})  # a candidate, not a match
    assert list(qs) == []
    response = clerk_client.get("/api/v1/telegrams/", {"q": "收购资金"})
    assert response.status_code == 200 and [r["id"] for r in response.json()["results"]] == [t.pk]


def test_a_malformed_index_key_ring_is_reported_by_check(settings):
    from vault.checks import index_keys_parse

    settings.TELEGRAM_INDEX_KEYS = ""
    assert index_keys_parse(None) == []
    settings.TELEGRAM_INDEX_KEYS = KEY_A
    assert index_keys_parse(None) == []
    settings.TELEGRAM_INDEX_KEYS = "ia:tooshort"
    (error,) = index_keys_parse(None)
    assert error.id == "vault.E002" and "TELEGRAM_INDEX_KEYS" in error.msg


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimates and pg_stats: PostgreSQL only")
def test_a_deep_page_number_lands_about_there_and_pages_on_exactly(clerk, clerk_client, monkeypatch):
    import desk.views
    from core import keyset

    monkeypatch.setattr(desk.views, "PAGE_SIZE", 2)
    monkeypatch.setattr(keyset, "EXACT_COUNT", 3)  # so that page 4 (offset 6) is a deep jump
    start = timezone.make_aware(datetime(2020, 5, 1, 9, 0))
    for n in range(16):  # distinct times: the histogram of received_at has bounds to interpolate
        factories.another(clerk, received_at=start + timedelta(hours=n))
    with connection.cursor() as cur:
        cur.execute("ANALYZE telegrams_telegram")
    response = clerk_client.get(reverse("telegrams:register"), {"page": 4})
    page = response.context["page"]
    assert page.approximate and page.number == 4 and len(page) == 2 and page.estimate is not None
    assert "约第 4 页" in response.content.decode()
    newest = list(Telegram.objects.order_by("-received_at", "-id"))
    at = newest.index(page.object_list[0])
    assert [t.pk for t in page] == [t.pk for t in newest[at:at + 2]]  # a real, consecutive page
    following = clerk_client.get(reverse("telegrams:register") + page.next_url).context["page"]
    assert [t.pk for t in following] == [t.pk for t in newest[at + 2:at + 4]] and following.approximate


def test_a_tag_is_hmac_sha256_of_the_gram_truncated_to_32_bits():
    import hashlib
    import hmac

    key = b"K" * 32
    for gram in ("通知", "ab", "办理"):
        expected = int.from_bytes(hmac.new(key, gram.encode(), hashlib.sha256).digest()[:4], "big", signed=True)
        assert blind._tag(key, gram) == expected
