"""routing.instructions: 批办 / 批示 text → routes. Pure: the directory is built by hand, no database."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing.instructions import (
    Directory,
    DirectoryUnit,
    InstructionError,
    ParsedInstruction,
    Route,
    parse,
    unknown_message,
)

U = DirectoryUnit
UNITS = [
    U("自治区党委组织部", "组织部", ("区党委组织部",)),
    U("自治区党委宣传部", "宣传部", ("区党委宣传部",)),
    U("自治区党委政策研究室", "政研室"),
    U("自治区财政厅", "财政厅", ("区财政厅", "财政")),
    U("自治区人力资源和社会保障厅", "人社厅", ("人力资源社会保障厅",)),
    U("自治区民政厅", "民政厅"),
    U("自治区教育厅", "教育厅"),
    U("自治区卫生健康委员会", "卫健委", ("区卫健委",)),
    U("自治区发展和改革委员会", "发改委"),
    U("自治区交通运输厅", "交通运输厅", ("交通厅",)),
    U("自治区公安厅", "公安厅"),
    U("自治区应急管理厅", "应急厅"),
    U("自治区总工会", "", ("区总工会", "总工会")),  # in this office 总工会 alone means the region's
    U("中华全国总工会", "全总", ("全国总工会",)),
    U("中华全国总工会办公厅", "全总办公厅"),
    U("银川市总工会", ""),
    U("新疆生产建设兵团总工会", "兵团总工会"),
    U("共青团宁夏区委", "团区委"),
    U("自治区妇女联合会", "妇联", ("区妇联",)),
    U("宁夏回族自治区人民政府办公厅", "政府办公厅", ("自治区政府办公厅",)),
]
RECEIVED = date(2026, 5, 1)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory(UNITS)


def p(text: str, directory: Directory, received_on: date = RECEIVED) -> ParsedInstruction:
    return parse(text, directory, received_on=received_on)


def routes(parsed: ParsedInstruction) -> list[tuple[str, str]]:
    return [(r.unit, r.role) for r in parsed.routes]


# --- the cases in the brief -------------------------------------------------------------------------------


def test_seed_instruction_delivers_to_handle(directory):
    parsed = p("送：自治区总工会。", directory)
    assert routes(parsed) == [("自治区总工会", "handle")]
    assert parsed.ok and not parsed.archive and parsed.deadline is None


def test_lead_and_assist_with_short_names(directory):
    parsed = p("请组织部牵头，宣传部、财政厅配合办理。", directory)
    assert routes(parsed) == [
        ("自治区党委组织部", "lead"), ("自治区党委宣传部", "assist"), ("自治区财政厅", "assist"),
    ]


def test_forward_for_information(directory):
    assert routes(p("转人社厅、民政厅阅知。", directory)) == [
        ("自治区人力资源和社会保障厅", "read"), ("自治区民政厅", "read"),
    ]


def test_deliver_for_information_with_full_names(directory):
    assert routes(p("送：自治区教育厅、自治区卫生健康委员会阅知。", directory)) == [
        ("自治区教育厅", "read"), ("自治区卫生健康委员会", "read"),
    ]


@pytest.mark.parametrize("text", ["存档。", "归档", "  存档  ", "存。"])
def test_archive(directory, text):
    parsed = p(text, directory)
    assert parsed.archive and parsed.routes == [] and parsed.ok


def test_deadline_with_year(directory):
    parsed = p("请财政厅研究，请于2026年12月1日前办结。", directory)
    assert parsed.deadline == date(2026, 12, 1)
    assert routes(parsed) == [("自治区财政厅", "handle")]


def test_deadline_without_year_takes_received_year(directory):
    parsed = p("请民政厅阅处，7月20日前报结果。", directory, received_on=date(2026, 5, 1))
    assert parsed.deadline == date(2026, 7, 20)
    assert routes(parsed) == [("自治区民政厅", "handle")]
    assert parsed.ok  # 报结果 is not a unit


def test_deadline_without_year_already_passed_rolls_to_next_year(directory):
    assert p("7月20日前报结果", directory, received_on=date(2026, 8, 1)).deadline == date(2027, 7, 20)
    assert p("7月20日前报结果", directory, received_on=date(2026, 7, 20)).deadline == date(2026, 7, 20)


def test_received_on_may_be_a_datetime(directory):
    assert p("7月20日前办结", directory, received_on=datetime(2026, 8, 1, 9, 30)).deadline == date(2027, 7, 20)


def test_deadline_defaults_to_today_anchor(directory):
    today = date.today()
    deadline = parse("请财政厅于1月1日前办结", directory).deadline
    assert deadline is not None and deadline >= today and deadline.month == 1 and deadline.day == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请于十二月一日前办结", date(2026, 12, 1)),
        ("请于12月底前办结", date(2026, 12, 31)),
        ("2026-06-30前反馈", date(2026, 6, 30)),
        ("请于２０２６年６月３日前办结", date(2026, 6, 3)),  # full-width digits
        ("请3日内反馈", date(2026, 5, 4)),
        ("请5个工作日内办结", date(2026, 5, 8)),  # 2026-05-01 is a Friday
        ("年底前完成", date(2026, 12, 31)),
        ("请于6月1日前、5月20日前分别报送", date(2026, 5, 20)),  # the earliest one
    ],
)
def test_deadline_forms(directory, text, expected):
    assert p(text, directory).deadline == expected


def test_date_without_deadline_cue_is_not_a_deadline(directory):
    parsed = p("按5月1日会议要求，请财政厅办理。", directory)
    assert parsed.deadline is None and routes(parsed) == [("自治区财政厅", "handle")]


def test_impossible_date_is_an_instruction_error(directory):
    with pytest.raises(InstructionError, match="日期无效：2月30日"):
        p("请于2月30日前办结", directory)


def test_feb_29_without_year_goes_to_next_leap_year(directory):
    assert p("2月29日前办结", directory, received_on=date(2026, 5, 1)).deadline == date(2028, 2, 29)


# --- verbs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("送财政厅。", "handle"), ("转财政厅", "handle"), ("呈财政厅", "handle"), ("由财政厅办理", "handle"),
        ("请财政厅阅处", "handle"), ("请财政厅办理", "handle"), ("请财政厅研办", "handle"),
        ("请财政厅研复", "handle"), ("请财政厅阅办", "handle"), ("请财政厅研究", "handle"),
        ("财政厅阅", "read"), ("请财政厅阅知", "read"), ("送财政厅参阅", "read"), ("抄送财政厅", "read"),
        ("请财政厅牵头", "lead"), ("由财政厅负责", "lead"), ("财政厅协办", "assist"), ("财政厅配合", "assist"),
    ],
)
def test_verb_table(directory, text, role):
    assert routes(p(text, directory)) == [("自治区财政厅", role)]


def test_huitong_between_two_groups(directory):
    assert routes(p("请财政厅会同人社厅、民政厅研究办理。", directory)) == [
        ("自治区财政厅", "lead"), ("自治区人力资源和社会保障厅", "assist"), ("自治区民政厅", "assist"),
    ]


def test_huitong_at_the_end_means_assist(directory):
    assert routes(p("由组织部负责，宣传部会同办理。", directory)) == [
        ("自治区党委组织部", "lead"), ("自治区党委宣传部", "assist"),
    ]


def test_peihe_between_two_groups(directory):
    assert routes(p("请宣传部配合组织部做好有关工作。", directory)) == [
        ("自治区党委宣传部", "assist"), ("自治区党委组织部", "lead"),
    ]


def test_yueshi_names_people_not_units(directory):
    parsed = p("请张三同志阅示。", directory)
    assert parsed.needs_instruction == ["张三"]
    assert parsed.routes == [] and parsed.unknown == [] and parsed.ok
    assert parsed.to_json_dict() == {"routes": [], "unknown": [], "deadline": None, "archive": False}


def test_yueshi_then_route(directory):
    parsed = p("请张三、李四同志阅示后，转财政厅办理。", directory)
    assert parsed.needs_instruction == ["张三", "李四"]
    assert routes(parsed) == [("自治区财政厅", "handle")]


def test_forward_read_then_file(directory):
    parsed = p("转财政厅阅后存档。", directory)
    assert routes(parsed) == [("自治区财政厅", "read")] and parsed.archive


# --- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", ["、", "，", ",", "和", "及", " "])
def test_separators(directory, sep):
    assert routes(p(f"送财政厅{sep}民政厅阅知", directory)) == [("自治区财政厅", "read"), ("自治区民政厅", "read")]


def test_aliases_resolve(directory):
    assert routes(p("送区总工会、区财政厅、团区委、区妇联。", directory)) == [
        ("自治区总工会", "handle"), ("自治区财政厅", "handle"), ("共青团宁夏区委", "handle"),
        ("自治区妇女联合会", "handle"),
    ]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("送自治区总工会", "自治区总工会"),
        ("送银川市总工会", "银川市总工会"),
        ("送中华全国总工会", "中华全国总工会"),
        ("送全国总工会", "中华全国总工会"),
        ("送新疆生产建设兵团总工会", "新疆生产建设兵团总工会"),
        ("送兵团总工会", "新疆生产建设兵团总工会"),
        ("送总工会", "自治区总工会"),
        ("送中华全国总工会办公厅", "中华全国总工会办公厅"),
    ],
)
def test_longest_match_keeps_levels_apart(directory, text, unit):
    assert routes(p(text, directory)) == [(unit, "handle")]


def test_unknown_longer_name_is_never_routed_to_a_shorter_known_one(directory):
    # 总工会 is an alias of 自治区总工会, yet 石嘴山市总工会 (not in the directory) must not become it.
    parsed = p("送石嘴山市总工会。", directory)
    assert parsed.routes == [] and parsed.unknown == ["石嘴山市总工会"] and not parsed.ok
    parsed = p("请财政部办理。", directory)  # 财政 is an alias of 自治区财政厅; 财政部 is another unit
    assert parsed.routes == [] and parsed.unknown == ["财政部"]
    parsed = p("请市委组织部阅知", directory)
    assert parsed.routes == [] and parsed.unknown == ["市委组织部"]


def test_unknown_names_are_reported_not_dropped(directory):
    parsed = p("送财政厅、自治区住房和城乡建设厅、石嘴山市民政局阅知。", directory)
    assert routes(parsed) == [("自治区财政厅", "read")]
    assert parsed.unknown == ["自治区住房和城乡建设厅", "石嘴山市民政局"]
    assert parsed.to_json_dict()["unknown"] == ["自治区住房和城乡建设厅", "石嘴山市民政局"]
    assert not parsed.ok


def test_unknown_person_after_deliver_verb(directory):
    assert p("送：张三同志。", directory).unknown == ["张三"]


def test_unknown_message_suggests(directory):
    parsed = p("送银川总工会", directory)
    assert parsed.unknown == ["银川总工会"]
    message = unknown_message(parsed, directory)
    assert message.startswith("未找到单位：银川总工会（您是否要找：") and "银川市总工会" in message


def test_verbs_inside_known_names_do_not_split_them(directory):
    assert routes(p("送政研室", directory)) == [("自治区党委政策研究室", "handle")]
    assert routes(p("送自治区党委政策研究室阅", directory)) == [("自治区党委政策研究室", "read")]
    assert routes(p("转交通厅办理", directory)) == [("自治区交通运输厅", "handle")]  # not 转交 + 通厅
    assert routes(p("请自治区人力资源和社会保障厅办理", directory)) == [("自治区人力资源和社会保障厅", "handle")]


def test_prefixes_and_suffixes_are_stripped(directory):
    assert routes(p("请由财政厅主要负责同志阅处", directory)) == [("自治区财政厅", "handle")]
    assert routes(p("送：自治区总工会研究。", directory)) == [("自治区总工会", "handle")]
    parsed = p("请卫健委、教育厅等单位认真研究落实", directory)
    assert routes(parsed) == [("自治区卫生健康委员会", "handle"), ("自治区教育厅", "handle")] and parsed.ok


def test_ordinary_words_are_not_unknown_units(directory):
    for text in ["送财政厅，抓紧办理。", "请财政厅部署落实。", "请财政厅研究提出意见后报自治区政府。"]:
        parsed = p(text, directory)
        assert parsed.ok, (text, parsed.unknown)
        assert routes(parsed) == [("自治区财政厅", "handle")], text


def test_several_sentences_keep_the_strongest_role(directory):
    parsed = p("送财政厅阅知。请财政厅牵头，民政厅配合。民政厅办理；财政厅阅", directory)
    assert routes(parsed) == [("自治区财政厅", "lead"), ("自治区民政厅", "handle")]


def test_label_prefix_is_ignored(directory):
    assert routes(p("批办：送：自治区总工会。", directory)) == [("自治区总工会", "handle")]


def test_to_json_dict_shape(directory):
    parsed = p("请组织部牵头，宣传部配合，石嘴山市委组织部阅知，6月30日前报结果。", directory)
    assert parsed.to_json_dict() == {
        "routes": [{"unit": "自治区党委组织部", "role": "lead"}, {"unit": "自治区党委宣传部", "role": "assist"}],
        "unknown": ["石嘴山市委组织部"],
        "deadline": "2026-06-30",
        "archive": False,
    }
    assert parsed.routes[0] == Route("自治区党委组织部", "lead")


# --- errors and the directory ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t　"])
def test_empty_text_is_an_instruction_error(directory, text):
    with pytest.raises(InstructionError, match="批办内容为空"):
        p(text, directory)


def test_instruction_error_is_a_value_error():
    assert issubclass(InstructionError, ValueError)


def test_directory_resolve_and_ambiguous_keys():
    d = Directory([U("甲市民政局", "民政局"), U("乙市民政局", "民政局"), U("自治区民政厅", "民政厅")])
    assert d.resolve("民政厅") == U("自治区民政厅", "民政厅")
    assert d.resolve(" 甲市民政局 ").name == "甲市民政局"
    assert d.resolve("民政局") is None  # two units claim it: never guess
    assert d.resolve("不存在") is None
    parsed = parse("送民政局", d, received_on=RECEIVED)
    assert parsed.routes == [] and parsed.unknown == ["民政局"]
    assert set(d.suggest("民政局")) >= {"甲市民政局", "乙市民政局"}


def test_full_name_beats_another_units_alias():
    d = Directory([U("自治区总工会", "", ("银川市总工会",)), U("银川市总工会")])
    assert d.resolve("银川市总工会").name == "银川市总工会"


def test_suggest_returns_full_names(directory):
    assert directory.suggest("自治区财政局")[0] == "自治区财政厅"
    assert directory.suggest("") == []
    assert len(directory.suggest("总工会", n=2)) <= 2


# --- robustness ---------------------------------------------------------------------------------------------

_ALPHABET = list(
    "送转请由呈交阅知示处办理研复牵头负责配合会同协存档归于年月日前内底十二一〇0123456789０、，,和及；。：:"
    "自治区财政厅总工会银川市同志等 \n()（）-./工作天个报抄"
)
_FRAGMENTS = ["财政厅", "总工会", "银川市", "阅示", "2026年", "2月29日", "十二月", "3个工作日内", "会同", "配合"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(st.one_of(st.sampled_from(_ALPHABET), st.sampled_from(_FRAGMENTS)), max_size=30).map("".join),
    ),
    received_on=st.one_of(st.none(), st.dates()),
)
def test_any_text_parses_or_raises_instruction_error(text, received_on):
    directory = Directory(UNITS)
    try:
        parsed = parse(text, directory, received_on=received_on)
    except InstructionError as exc:
        assert str(exc)
        return
    data = parsed.to_json_dict()
    assert set(data) == {"routes", "unknown", "deadline", "archive"}
    names = {u.name for u in UNITS}
    assert all(r["unit"] in names and r["role"] in {"lead", "assist", "handle", "read"} for r in data["routes"])
    assert len({r["unit"] for r in data["routes"]}) == len(data["routes"])


# --- verbs added for issue 17: one journey each -------------------------------------------------------------


@pytest.mark.parametrize("text", ["转发至财政厅。", "转发至：财政厅", "请转发至财政厅办理", "批转至财政厅。", "批转财政厅办理"])
def test_forward_to_routes_to_the_unit(directory, text):
    parsed = p(text, directory)
    assert routes(parsed) == [("自治区财政厅", "handle")] and parsed.ok


def test_forward_to_for_information(directory):
    assert routes(p("转发至民政厅、教育厅阅知。", directory)) == [("自治区民政厅", "read"), ("自治区教育厅", "read")]


@pytest.mark.parametrize("text", ["请组织部牵头商宣传部、财政厅办理。", "组织部牵头，商宣传部、财政厅办理"])
def test_lead_after_consulting_makes_the_consulted_assist(directory, text):
    assert routes(p(text, directory)) == [
        ("自治区党委组织部", "lead"), ("自治区党委宣传部", "assist"), ("自治区财政厅", "assist"),
    ]


def test_shang_inside_a_unit_name_is_not_a_verb(directory):
    parsed = p("请商务局办理", directory)
    assert parsed.routes == [] and parsed.unknown == ["商务局"]


@pytest.mark.parametrize(
    "text",
    ["请财政厅办理，结果报自治区政府办公厅。", "请财政厅研提意见报自治区政府办公厅", "请财政厅办理并将落实情况报政府办公厅",
     "请财政厅办理，办理结果报石嘴山市人民政府。"],
)
def test_report_to_at_the_end_is_not_a_route(directory, text):
    parsed = p(text, directory)
    assert routes(parsed) == [("自治区财政厅", "handle")]
    assert parsed.ok, parsed.unknown  # where the report goes is neither routed nor an unknown unit


@pytest.mark.parametrize("text", ["请根据财政厅意见办理。", "请按照财政厅要求抓紧办理", "请依据财政厅意见研究办理"])
def test_the_source_of_an_opinion_is_not_routed(directory, text):
    parsed = p(text, directory)
    assert parsed.routes == [] and parsed.ok


def test_the_source_of_an_opinion_beside_a_real_route(directory):
    parsed = p("请民政厅根据财政厅意见办理。", directory)
    assert routes(parsed) == [("自治区民政厅", "handle")] and parsed.ok


def test_a_person_written_after_their_unit_is_one_name(directory):
    parsed = p("请财政厅张三同志阅示。", directory)
    assert parsed.needs_instruction == ["财政厅张三"]
    assert parsed.routes == [] and parsed.ok
    # With a routing verb the person's unit is routed.
    assert routes(p("请财政厅张三同志办理。", directory)) == [("自治区财政厅", "handle")]
