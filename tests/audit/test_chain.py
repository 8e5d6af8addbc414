"""The link hash: the hand-written canonical entry text equals canonical_json of the entry, for any input."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.chain import at_text, canonical_json, entry_text

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
times = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def reference(seq, at, actor_id, actor, action, object_type, object_id, data) -> str:
    """The definition in DESIGN.md, spelled out with json.dumps."""
    return canonical_json({
        "seq": seq, "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "actor_id": actor_id, "actor": actor,
        "action": action, "object_type": object_type, "object_id": object_id, "data": data,
    })


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**62), times, st.one_of(st.none(), st.integers(1, 2**31)), texts, texts, texts, texts, texts)
def test_entry_text_is_the_canonical_json_of_the_entry(seq, at, actor_id, actor, action, object_type, object_id, data):
    assert entry_text(seq, at, actor_id, actor, action, object_type, object_id, data) == reference(
        seq, at, actor_id, actor, action, object_type, object_id, data
    )


def test_times_are_utc_with_microseconds_whatever_the_zone():
    beijing = timezone(timedelta(hours=8))
    assert at_text(datetime(2020, 5, 1, 21, 36, tzinfo=beijing)) == "2020-05-01T13:36:00.000000Z"
    assert at_text(datetime(2020, 5, 1, 13, 36, 0, 7, tzinfo=UTC)) == "2020-05-01T13:36:00.000007Z"


def test_chinese_data_is_utf8_not_escaped():
    text = entry_text(1, datetime(2020, 5, 1, tzinfo=UTC), None, "系统", "telegram.register", "", "",
                      canonical_json({"receipt_no": "宁机明收[2020]744号", "b": 1, "a": [1, 2]}))
    assert '宁机明收[2020]744号' in text and "\\u" not in text
    assert '{\\"a\\":[1,2],\\"b\\":1,' in text  # sorted keys, no spaces
