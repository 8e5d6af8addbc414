"""The text → fields parser (telegrams.textparse): the seed, a dozen other layouts, edge cases, fuzzing.

No database: the parser is pure Python.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telegrams.textparse import (
    FIELD_NAMES,
    SHANGHAI,
    ParsedTelegram,
    TelegramParseError,
    normalize_doc_no,
    parse,
    parse_cn_datetime,
    split_units,
)

SAMPLES = Path(__file__).resolve().parent / "samples"
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared/seed/000_b601b55bd6488c25.txt"
# Fixed "now" so year-less receipt times are deterministic.
NOW = datetime(2025, 7, 20, 12, 0, tzinfo=SHANGHAI)


def read_sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The seed (the real receipt form)

SEED_TITLE = "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知"


@pytest.fixture(scope="module")
def seed() -> ParsedTelegram:
    return parse(read_sample("seed_744.txt"))


def test_seed_copy_matches_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("shared seed not available in this checkout")
    assert read_sample("seed_744.txt") == SHARED_SEED.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("receipt_no", "宁机明收[2020]744号"),
        ("sender_unit", "中华全国总工会办公厅"),
        ("precedence", "特提"),
        ("classification", "明电"),
        ("received_at", datetime(2020, 5, 1, 21, 36, tzinfo=SHANGHAI)),
        ("title", SEED_TITLE),
        ("annotation", None),
        ("instruction", "送：自治区总工会。"),
        ("sending_unit", "中华全国总工会"),
        ("sender_doc_no", "工发电〔2020〕7号"),
        # 、 is split only when every piece is a whole unit name: these two keep their shared qualifier.
        ("addressees", ["各省、自治区、直辖市总工会", "各全国产业工会", "中央和国家机关工会联合会", "全总各部门、各直属单位"]),
        ("signatory", "中华全国总工会办公厅"),
        ("signed_on", date(2020, 5, 1)),
        ("cc", ["新疆生产建设兵团总工会"]),
    ],
)
def test_seed_field(seed: ParsedTelegram, name: str, expected: Any) -> None:
    assert getattr(seed, name) == expected


def test_seed_received_at_is_aware_shanghai(seed: ParsedTelegram) -> None:
    assert seed.received_at is not None
    assert seed.received_at.utcoffset() is not None
    assert seed.received_at.isoformat() == "2020-05-01T21:36:00+08:00"


def test_seed_body(seed: ParsedTelegram) -> None:
    body = seed.body
    assert body is not None
    paragraphs = body.split("\n")
    assert paragraphs[0].startswith("4月30日，在“五一”国际劳动节来临之际")
    assert paragraphs[-1] == (
        "各省、自治区、直辖市总工会，各全国产业工会，中央和国家机关工会联合会"
        "学习宣传贯彻习近平总书记回信精神情况请及时报告全国总工会。"
    )
    # Headings stay paragraphs of their own.
    assert "一、提高政治站位，深刻理解把握习近平总书记回信的精神实质和重大意义" in paragraphs
    assert "三、加强组织领导，切实抓好习近平总书记回信精神的学习宣传贯彻工作" in paragraphs
    # Page-break splits in the middle of a sentence are rejoined.
    for joined in ("王东明第一时间", "坚定的人民立场", "统一到回信精神上来", "职工群众的示范引领作用", "学习体会和经验做法"):
        assert joined in body
    assert len(paragraphs) == 16
    # Nothing of the signature or the copies leaks into the body, nothing of the text is lost.
    assert "抄送" not in body
    assert not body.endswith("办公厅")
    seed_text = read_sample("seed_744.txt")
    printed = seed_text.split("全总各部门、各直属单位：", 1)[1].split("中华全国总工会办公厅\n\n2020年5月1日")[0]
    assert "".join(body.split()) == "".join(printed.split())


def test_seed_found_and_missing(seed: ParsedTelegram) -> None:
    assert seed.missing == ["annotation"]
    assert seed.found == [n for n in FIELD_NAMES if n != "annotation"]


def test_seed_json_contract(seed: ParsedTelegram) -> None:
    data = seed.to_json_dict()
    assert list(data) == list(FIELD_NAMES)
    assert data["received_at"] == "2020-05-01T21:36:00+08:00"
    assert data["signed_on"] == "2020-05-01"
    assert data["annotation"] is None
    assert isinstance(data["addressees"], list) and isinstance(data["cc"], list)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


# ---------------------------------------------------------------------------------------------
# Further receipt texts, each with every contract field spelled out

EMPTY: dict[str, Any] = {name: ([] if name in ("addressees", "cc") else None) for name in FIELD_NAMES}


def expect(**fields: Any) -> dict[str, Any]:
    unknown = set(fields) - set(FIELD_NAMES)
    assert not unknown, unknown
    return {**EMPTY, **fields}


CASES: dict[str, dict[str, Any]] = {
    # 特急 from 国务院办公厅; the note after the date is not body.
    "s01_guoban_teji.txt": expect(
        receipt_no="宁机明收[2023]1056号",
        sender_unit="国务院办公厅",
        precedence="特急",
        classification="明电",
        received_at="2023-07-12T09:05:00+08:00",
        title="国务院办公厅关于切实做好当前防汛救灾工作的通知",
        instruction="送：自治区应急管理厅、自治区水利厅。",
        sending_unit="国务院办公厅",
        sender_doc_no="国办发明电〔2023〕9号",
        addressees=["各省、自治区、直辖市人民政府", "国务院各部委、各直属机构"],
        body="当前我国已全面进入主汛期，部分地区降雨偏多、江河水位上涨，防汛形势严峻复杂。为切实做好防汛救灾工作，"
        "保障人民群众生命财产安全，经国务院同意，现就有关事项通知如下。\n"
        "一、压紧压实防汛责任\n"
        "各地区要严格落实以行政首长负责制为核心的防汛责任制，主要负责同志要靠前指挥，层层压实责任，"
        "确保各项措施落实到基层、落实到岗位、落实到人。\n"
        "二、强化监测预报预警\n"
        "各有关部门要加强雨情、水情、汛情监测，滚动会商研判，及时发布预警信息。",
        signatory="国务院办公厅",
        signed_on="2023-07-11",
    ),
    # 加急 from 自治区人民政府办公厅: ［］ brackets, spaced labels, a filled 领导批示, a 批办 with a deadline.
    "s02_nxgov_jiaji.txt": expect(
        receipt_no="宁机明收[2026]0312号",
        sender_unit="自治区人民政府办公厅",
        precedence="加急",
        classification="明电",
        received_at="2026-11-18T15:20:00+08:00",
        title="自治区人民政府办公厅关于做好2027年元旦春节期间有关工作的通知",
        annotation="请组织部、宣传部阅研。\n张伟 2026年11月19日",
        instruction="请组织部牵头，宣传部、财政厅配合办理。请于2026年12月1日前办结",
        sending_unit="宁夏回族自治区人民政府办公厅",
        sender_doc_no="宁政办发电〔2026〕45号",
        addressees=["各市、县（区）人民政府", "自治区政府各部门、各直属机构"],
        body="元旦、春节即将来临，为确保全区人民群众度过欢乐祥和的节日，现将有关事项通知如下：\n"
        "一、切实保障节日市场供应。各地要加强重要民生商品产销衔接，保持价格基本稳定。\n"
        "二、认真做好困难群众帮扶工作。各地要组织开展走访慰问，确保困难群众温暖过节。",
        signatory="宁夏回族自治区人民政府办公厅",
        signed_on="2026-11-18",
        cc=["自治区党委办公厅", "自治区人大常委会办公厅", "自治区政协办公厅", "宁夏军区"],
    ),
    # 平急, a bare telegram without the receipt header; the title wraps over two lines.
    "s03_bare_pingji.txt": expect(
        precedence="平急",
        classification="明电",
        title="自治区党委办公厅关于做好2024年春节期间有关工作的通知",
        # No 发电单位 line: the sending unit is read from the signature.
        sending_unit="中共宁夏回族自治区委员会办公厅",
        sender_doc_no="宁党办电〔2024〕18号",
        addressees=["各市、县（区）党委", "自治区各部委", "自治区直属各单位党组织"],
        body="春节将至，为确保全区广大干部群众度过一个欢乐祥和、风清气正的节日，经自治区党委同意，现就有关事项通知如下。\n"
        "一、严格落实中央八项规定精神，坚决防止节日期间“四风”问题反弹回潮。\n"
        "二、加强值班值守，严格执行领导干部带班和重大情况报告制度。",
        signatory="中共宁夏回族自治区委员会办公厅",
        signed_on="2024-01-26",
    ),
    # OCR: spaces between every character, tabs, full-width indents, ISO time, a sentence split over two lines.
    "s04_ocr_spaces.txt": expect(
        receipt_no="宁机明收[2024]0588号",
        sender_unit="自治区人民政府办公厅",
        precedence="加急",
        classification="明电",
        received_at="2024-03-05T16:40:00+08:00",
        title="自治区人民政府办公厅关于开展安全生产大检查的通知",
        instruction="请应急厅牵头，各有关厅局配合办理。",
        sending_unit="宁夏回族自治区人民政府办公厅",
        sender_doc_no="宁政办发电〔2024〕12号",
        addressees=["各市、县（区）人民政府", "自治区政府各部门"],
        body="为深刻汲取近期事故教训，全面排查整治安全风险隐患，自治区人民政府决定在全区开展安全生产大检查。"
        "现将有关事项通知如下：\n"
        "一、检查时间\n"
        "2024年3月10日至4月30日。\n"
        "二、检查内容\n"
        "重点检查危险化学品、矿山、交通运输、建筑施工、消防等行业领域。\n"
        "特此通知。",
        signatory="宁夏回族自治区人民政府办公厅",
        signed_on="2024-03-05",
        cc=["自治区应急管理厅", "自治区消防救援总队"],
    ),
    # 特提, every label on its own line with ASCII colons, class on a line of its own; receipt header only.
    "s05_own_lines_teti.txt": expect(
        receipt_no="宁机明收[2025]0001号",
        sender_unit="中共中央办公厅",
        precedence="特提",
        classification="明电",
        received_at="2025-01-01T00:30:00+08:00",
        title="中共中央办公厅关于做好元旦期间值班工作的紧急通知",
        annotation="请自治区党委办公厅抓紧落实，及时报告。\n王强\n2025年1月1日1时",
        instruction="送：自治区党委办公厅、自治区人民政府办公厅办理。",
        sending_unit="中共中央办公厅",  # the title's "X关于…": no telegram part, no signature
    ),
    # Several labels per line, slash date, a labelled 主送 without colon, signature and date on one line.
    "s06_multilabel_line.txt": expect(
        receipt_no="宁机明收[2025]0217号",
        sender_unit="国家发展改革委办公厅",
        precedence="特急",
        classification="明电",
        received_at="2025-04-02T09:05:00+08:00",
        title="国家发展改革委办公厅关于做好2025年重要民生商品保供稳价工作的通知",
        instruction="送：自治区发展改革委、商务厅阅处。",
        sending_unit="国家发展改革委办公厅",
        sender_doc_no="发改办价格电〔2025〕88号",
        addressees=["各省、自治区、直辖市及计划单列市、新疆生产建设兵团发展改革委"],
        body="为贯彻落实党中央、国务院决策部署，切实做好重要民生商品保供稳价工作，现将有关事项通知如下。\n"
        "各地发展改革部门要加强市场监测，密切跟踪价格走势，发现异常波动及时报告。",
        signatory="国家发展改革委办公厅",
        signed_on="2025-04-02",
        cc=["商务部办公厅", "农业农村部办公厅", "市场监管总局办公厅"],
    ),
    # The form as DESIGN.md draws it, box-drawing characters and all.
    "s07_box_form.txt": expect(
        receipt_no="宁机明收[2025]0433号",
        sender_unit="应急管理部办公厅",
        precedence="特急",
        classification="明电",
        received_at="2025-06-03T08:15:00+08:00",
        title="应急管理部办公厅关于进一步加强汛期安全生产工作的通知",
        instruction="送：自治区应急管理厅。",
        sending_unit="应急管理部办公厅",  # from the title
    ),
    # Joint telegram: two sending units, two signature lines, Chinese-numeral dates, 附件 line kept in body.
    "s08_joint_signature.txt": expect(
        receipt_no="宁机明收[2025]0098号",
        sender_unit="自治区党委办公厅",
        precedence="平急",
        classification="明电",
        received_at="2025-03-01T10:20:00+08:00",
        title="关于开展2025年度全区党政机关公文处理工作检查的通知",
        instruction="送：各厅局办公室阅知。",
        sending_unit="自治区党委办公厅、自治区人民政府办公厅",
        sender_doc_no="宁党办电〔2025〕7号",
        addressees=["各市、县（区）党委和人民政府", "自治区各部委厅局"],
        body="为进一步规范全区党政机关公文处理工作，根据《党政机关公文处理工作条例》，决定开展2025年度公文处理工作检查。\n"
        "请各单位于3月31日前完成自查，并将自查报告报送自治区党委办公厅秘书处。\n"
        "附件：公文处理工作检查评分表",
        signatory="自治区党委办公厅、自治区人民政府办公厅",
        signed_on="2025-03-01",
    ),
    # Tab-separated labels, 〔〕 receipt number kept as printed, "特急 · 明电", 2023/7/12 9:05,
    # 主送 of whole unit names split on 、, 抄送 split on ，、；.
    "s09_slash_date_cc_many.txt": expect(
        receipt_no="宁机明收〔2023〕0876号",
        sender_unit="财政部办公厅",
        precedence="特急",
        classification="明电",
        received_at="2023-07-12T09:05:00+08:00",
        title="财政部办公厅关于加快预算执行进度的通知",
        instruction="请财政厅阅处。",
        sending_unit="财政部办公厅",
        sender_doc_no="财办电〔2023〕21号",
        addressees=["自治区财政厅", "自治区教育厅", "自治区卫生健康委"],
        body="为加快预算执行进度，提高财政资金使用效益，现就有关事项通知如下。\n"
        "各地财政部门要进一步强化预算执行管理，对执行进度慢的项目及时督促整改，确保资金尽早发挥效益。",
        signatory="财政部办公厅",
        signed_on="2023-07-11",
        cc=["财政部宁夏监管局", "自治区审计厅", "自治区发展改革委", "各市财政局"],
    ),
    # A 密电 is reported as found (the register refuses it); 收报时间 without a year takes NOW's year.
    "s10_yearless_mideng.txt": expect(
        receipt_no="宁机明收[2025]0640号",
        sender_unit="公安部办公厅",
        precedence="特提",
        classification="密电",
        received_at="2025-07-12T22:48:00+08:00",
        title="关于加强重大活动期间安全保卫工作的通知",
    ),
    # Lines broken mid-sentence, a long 主送 with parentheses, a contact line after the date (dropped).
    "s11_ocr_pagebreaks.txt": expect(
        receipt_no="宁机明收[2024]1201号",
        sender_unit="教育部办公厅",
        precedence="加急",
        classification="明电",
        received_at="2024-12-02T14:00:00+08:00",
        title="教育部办公厅关于做好2025年普通高校毕业生就业创业工作的通知",
        instruction="送：自治区教育厅。",
        sending_unit="教育部办公厅",
        sender_doc_no="教学厅电〔2024〕15号",
        addressees=[
            "各省、自治区、直辖市教育厅（教委）",
            "新疆生产建设兵团教育局",
            "有关部门（单位）教育司（局）",
            "部属各高等学校",
            "部省合建各高等学校",
        ],
        body="2025届高校毕业生规模预计达1222万人，同比增加43万人。各地各高校要深入贯彻落实党中央、国务院决策部署，"
        "把高校毕业生就业作为头等大事，全力促进高校毕业生高质量充分就业。\n"
        "一是拓展市场化社会化就业渠道。各地各高校要积极开拓就业岗位，深入开展访企拓岗促就业专项行动，"
        "推动书记校长带头走访用人单位。\n"
        "二是加强就业指导服务。要健全就业指导课程体系，做好困难群体毕业生帮扶。",
        signatory="教育部办公厅",
        signed_on="2024-11-29",
    ),
    # No receipt number, ASCII colons, ISO time with seconds, "主送:" label, no blank lines at all.
    "s12_teji_ascii_colon_iso.txt": expect(
        sender_unit="自治区党委组织部",
        precedence="特急",
        classification="明电",
        received_at="2024-09-30T18:05:00+08:00",
        title="关于做好国庆期间干部值班带班工作的通知",
        annotation="请各单位认真落实。李华 2024年9月30日19时",
        instruction="请组织部牵头，宣传部、财政厅配合办理。请于2024年10月8日前办结。",
        sending_unit="自治区党委组织部",  # from the signature
        addressees=["自治区各部委厅局、各人民团体", "各市、县（区）委组织部"],
        body="国庆假期即将到来，为确保假期各项工作正常运转，请各单位严格落实值班带班制度。\n"
        "值班人员要坚守岗位，遇有重大突发事件及时报告。",
        signatory="自治区党委组织部",
        signed_on="2024-09-30",
    ),
}


def test_every_sample_file_has_expectations() -> None:
    on_disk = {p.name for p in SAMPLES.glob("*.txt")} - {"seed_744.txt"}
    assert on_disk == set(CASES)
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample(name: str) -> None:
    got = parse(read_sample(name), now=NOW).to_json_dict()
    expected = CASES[name]
    mismatches = {k: (got[k], expected[k]) for k in FIELD_NAMES if got[k] != expected[k]}
    assert mismatches == {}, "field: (got, expected)"
    assert list(got) == list(FIELD_NAMES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_found_and_missing_partition_the_fields(name: str) -> None:
    result = parse(read_sample(name), now=NOW)
    assert sorted(result.found + result.missing) == sorted(FIELD_NAMES)
    for field_name in result.found:
        assert getattr(result, field_name) not in (None, [], "")
    for field_name in result.missing:
        assert getattr(result, field_name) in (None, [])


# ---------------------------------------------------------------------------------------------
# Smaller layouts and edge cases


def test_labels_without_separator_and_ocr_glued_labels() -> None:
    r = parse("来电单位中华全国总工会办公厅\n等级特提明电收报时间：2020年5月1日21时36分")
    assert (r.sender_unit, r.precedence, r.classification) == ("中华全国总工会办公厅", "特提", "明电")
    assert r.received_at == datetime(2020, 5, 1, 21, 36, tzinfo=SHANGHAI)


def test_label_value_on_next_line() -> None:
    r = parse("来电单位\n国家卫生健康委办公厅\n等级\n加急 明电\n收报时间\n2024年2月1日8时\n标题\n关于做好春节期间医疗保障工作的通知")
    assert r.sender_unit == "国家卫生健康委办公厅"
    assert (r.precedence, r.classification) == ("加急", "明电")
    assert r.received_at == datetime(2024, 2, 1, 8, 0, tzinfo=SHANGHAI)
    assert r.title == "关于做好春节期间医疗保障工作的通知"


def test_wrapped_title_label_continues() -> None:
    r = parse("标题：国务院办公厅关于做好2023年\n汛期安全防范工作的通知\n领导批示：\n批办：送：自治区水利厅。")
    assert r.title == "国务院办公厅关于做好2023年汛期安全防范工作的通知"
    assert r.annotation is None
    assert r.instruction == "送：自治区水利厅。"


@pytest.mark.parametrize("line", ["等级 特提 · 明电", "特提·明电", "等级：特提 明电", "等级\t特提\t明电", "等 级：特 提·明 电"])
def test_precedence_and_class_spellings(line: str) -> None:
    r = parse(line)
    assert (r.precedence, r.classification) == ("特提", "明电")


def test_bare_telegram_sender_line_above_title_is_not_title() -> None:
    text = ("国务院办公厅\n\n国务院办公厅关于做好2023年汛期工作的通知\n\n"
            "各省、自治区、直辖市人民政府：\n请认真落实。\n国务院办公厅\n2023年6月1日")
    r = parse(text)
    assert r.title == "国务院办公厅关于做好2023年汛期工作的通知"
    assert r.addressees == ["各省、自治区、直辖市人民政府"]
    assert (r.body, r.signatory, r.signed_on) == ("请认真落实。", "国务院办公厅", date(2023, 6, 1))


def test_title_split_before_guanyu_keeps_both_lines() -> None:
    r = parse("中华全国总工会\n关于学习宣传的通知\n各省总工会：\n正文。\n中华全国总工会办公厅\n2020年5月1日")
    assert r.title == "中华全国总工会关于学习宣传的通知"


def test_addressee_list_wrapped_by_ocr() -> None:
    r = parse("标题：关于X的通知\n各省、自治区、直辖市人民政府，国务院各部委、\n各直属机构：\n正文内容。\n国务院办公厅\n2023年6月1日")
    assert r.addressees == ["各省、自治区、直辖市人民政府", "国务院各部委、各直属机构"]
    assert r.body == "正文内容。"


def test_cc_wrapped_over_lines() -> None:
    r = parse("主送：自治区财政厅\n正文。\n财政部办公厅\n2023年1月1日\n抄送：自治区审计厅、自治区发展改革委、\n自治区统计局。")
    assert r.addressees == ["自治区财政厅"]
    assert r.cc == ["自治区审计厅", "自治区发展改革委", "自治区统计局"]


def test_closing_phrase_is_not_a_signatory() -> None:
    r = parse("各市人民政府：\n请抓紧落实。\n特此通知\n2023年1月1日")
    assert r.signatory is None
    assert r.body == "请抓紧落实。\n特此通知"
    assert r.signed_on == date(2023, 1, 1)


def test_colon_line_before_the_header_is_not_the_addressee_line() -> None:
    r = parse("说明如下：\n来电单位：国务院办公厅\n等级：特急 明电")
    assert r.addressees == [] and r.body is None
    assert r.sender_unit == "国务院办公厅"


def test_receipt_number_and_doc_number_disambiguation() -> None:
    r = parse("内部明电\n宁机明收 ［2024］ 0588 号\n发电单位：国务院办公厅\n等级 特急·明电 国办发明电[2024]3号")
    assert r.receipt_no == "宁机明收[2024]0588号"
    assert r.sender_doc_no == "国办发明电〔2024〕3号"


def test_received_at_without_year_needs_now() -> None:
    text = "来电单位：公安部办公厅\n收报时间：1月2日3时4分"
    assert parse(text).received_at is None
    assert parse(text, now=datetime(2025, 1, 10)).received_at == datetime(2025, 1, 2, 3, 4, tzinfo=SHANGHAI)
    # A December date read in early January belongs to the previous year.
    late = parse("来电单位：公安部办公厅\n收报时间：12月30日3时4分", now=datetime(2025, 1, 2, tzinfo=SHANGHAI))
    assert late.received_at == datetime(2024, 12, 30, 3, 4, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020年5月1日21时36分", datetime(2020, 5, 1, 21, 36)),
        ("2023年7月12日9时5分", datetime(2023, 7, 12, 9, 5)),
        ("2023-07-12 09:05", datetime(2023, 7, 12, 9, 5)),
        ("2023/7/12 9:05", datetime(2023, 7, 12, 9, 5)),
        ("2023.7.12", datetime(2023, 7, 12)),
        ("2024 年 3 月 5 日 16 时 40 分", datetime(2024, 3, 5, 16, 40)),
        ("２０２３年７月１２日９时５分", datetime(2023, 7, 12, 9, 5)),
        ("二〇二三年七月十二日下午三时五分", datetime(2023, 7, 12, 15, 5)),
        ("2023年7月12日 21:05:30", datetime(2023, 7, 12, 21, 5, 30)),
        ("2023-07-12T01:05:00Z", datetime(2023, 7, 12, 9, 5)),
        ("2023-02-30 10:00", None),
        ("2023年7月12日25时", None),
        ("7月12日", None),
        ("", None),
        ("明天上午", None),
    ],
)
def test_parse_cn_datetime(text: str, expected: datetime | None) -> None:
    got = parse_cn_datetime(text)
    if expected is None:
        assert got is None
    else:
        assert got == expected.replace(tzinfo=SHANGHAI)
        assert got is not None and got.tzinfo is not None and got.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("工发电[2020]7号", "工发电〔2020〕7号"),
        ("工发电［2020］7号", "工发电〔2020〕7号"),
        ("工发电〔2020〕7号", "工发电〔2020〕7号"),
        ("工发电 〔 2020 〕 7 号", "工发电〔2020〕7号"),
        ("国办发明电（2023）9号", "国办发明电〔2023〕9号"),
    ],
)
def test_normalize_doc_no(text: str, expected: str) -> None:
    assert normalize_doc_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新疆生产建设兵团总工会。", ["新疆生产建设兵团总工会"]),
        ("各省、自治区、直辖市总工会", ["各省、自治区、直辖市总工会"]),
        ("全总各部门、各直属单位", ["全总各部门、各直属单位"]),
        ("国家发展改革委、财政部、教育部", ["国家发展改革委", "财政部", "教育部"]),
        ("自治区财政厅，自治区教育厅；各市财政局", ["自治区财政厅", "自治区教育厅", "各市财政局"]),
        ("各市、县（区，旗）人民政府", ["各市、县（区，旗）人民政府"]),
        ("", []),
    ],
)
def test_split_units(text: str, expected: list[str]) -> None:
    assert split_units(text) == expected


# ---------------------------------------------------------------------------------------------
# Errors: only ever TelegramParseError, with a Chinese message


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t\n", "今天天气很好。\n我们去公园散步吧。", "hello world: foo", "：\n:\n", "等级", "\x00\x01"],
)
def test_unrecognisable_text_raises_parse_error(text: str) -> None:
    with pytest.raises(TelegramParseError) as exc_info:
        parse(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc_info.value))


def test_no_fields_message() -> None:
    with pytest.raises(TelegramParseError, match="未找到标题、来电单位等任何字段"):
        parse("今天天气很好。")


def test_non_string_raises_parse_error() -> None:
    with pytest.raises(TelegramParseError):
        parse(123)  # type: ignore[arg-type]


def test_parse_error_is_value_error() -> None:
    assert issubclass(TelegramParseError, ValueError)


LABEL_FRAGMENTS = [
    "来电单位", "来 电 单 位", "等级", "等 级", "收报时间", "标题", "标 题", "领导批示", "领 导 批 示",
    "批办", "批 办", "发电单位", "签发盖章", "主送", "抄送", "特提", "特急", "加急", "平急", "明电", "密电",
    "：", ":", "\t", " ", "\n", "\n\n", "、", "，", "；", "。", "·", "[", "]", "［", "］", "〔", "〕", "（", "）",
    "2020", "年", "月", "日", "时", "分", "5", "12", "31", "-", "/", "号", "宁机明收", "工发电", "收", "发",
    "自治区总工会", "中华全国总工会办公厅", "各省", "办公厅", "关于", "通知", "二〇二〇", "十", "│", "─",
    "一、", "（一）", "特此通知", "如下：", "\u3000", "\r\n", "\f",
]  # fmt: skip

telegramish = st.lists(st.sampled_from(LABEL_FRAGMENTS) | st.text(max_size=6), max_size=60).map("".join)


def _check(text: str) -> None:
    try:
        result = parse(text, now=NOW)
    except TelegramParseError as exc:
        # The catch-all in parse() keeps callers safe; reaching it here would still be a parser bug.
        assert exc.__cause__ is None, repr(exc.__cause__)
        assert str(exc)
        return
    assert isinstance(result, ParsedTelegram)
    assert result.found
    data = result.to_json_dict()
    assert list(data) == list(FIELD_NAMES)
    json.dumps(data, ensure_ascii=False)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    _check(text)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(telegramish)
def test_telegram_like_text_parses_or_raises_parse_error(text: str) -> None:
    _check(text)


@settings(max_examples=50, deadline=None, database=None)
@given(st.text(max_size=40), st.integers(min_value=0, max_value=10_000))
def test_seed_with_noise_inserted_still_parses(noise: str, where: int) -> None:
    seed_text = read_sample("seed_744.txt")
    at = where % len(seed_text)
    _check(seed_text[:at] + noise + seed_text[at:])


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=60))
def test_helpers_never_raise(text: str) -> None:
    parse_cn_datetime(text)
    parse_cn_datetime(text, now=NOW)
    normalize_doc_no(text)
    split_units(text)


# ---------------------------------------------------------------------------------------------
# The corpus: texts of our own in every layout the desk meets, each with the fields a clerk reads
# (bench/parser_accuracy.py prints the same comparison as a table)

CORPUS = Path(__file__).resolve().parent / "corpus"
CORPUS_CASES = sorted(p.stem for p in CORPUS.glob("*.txt"))


def corpus_case(name: str) -> tuple[str, dict[str, Any]]:
    expected = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8"), expected


def test_the_corpus_has_twenty_texts_in_both_scripts_with_every_field() -> None:
    assert len(CORPUS_CASES) >= 20
    texts = [corpus_case(name)[0] for name in CORPUS_CASES]
    assert any("來電單位" in t or "關於" in t for t in texts), "a traditional-script text"
    assert any("来电单位" in t for t in texts) and any("来电单位" not in t and "來電單位" not in t for t in texts)
    for name in CORPUS_CASES:
        assert set(FIELD_NAMES) <= set(corpus_case(name)[1]), name


@pytest.fixture(scope="module")
def corpus_parsed() -> dict[str, dict[str, Any]]:
    return {name: parse(corpus_case(name)[0], now=NOW).to_json_dict() for name in CORPUS_CASES}


@pytest.mark.parametrize("field_name", FIELD_NAMES)
@pytest.mark.parametrize("name", CORPUS_CASES)
def test_corpus_field(corpus_parsed: dict[str, dict[str, Any]], name: str, field_name: str) -> None:
    assert corpus_parsed[name][field_name] == corpus_case(name)[1][field_name]


# ---------------------------------------------------------------------------------------------
# Reading like a careful clerk: one journey per pattern the issue lists

WEB_PAGE = """首页 > 政务公开 > 通知公告
分享到：
应急管理部办公厅关于做好强降雨防范工作的通知
发布时间：2023-07-28 来源：应急管理部
应急厅明电〔2023〕26号
各省、自治区、直辖市应急管理厅（局）：
请做好强降雨防范工作。
应急管理部办公厅
2023年7月28日
上一篇：关于开展安全生产月活动的通知
主办单位：中华人民共和国应急管理部 版权所有
京ICP备18034343号
"""


def test_clerk_pastes_a_web_page_and_the_furniture_is_not_read() -> None:
    r = parse(WEB_PAGE)
    # "分享到：" ends with a colon but names no unit: it is not the 主送 line.
    assert r.addressees == ["各省、自治区、直辖市应急管理厅（局）"]
    assert r.title == "应急管理部办公厅关于做好强降雨防范工作的通知"  # above a 文号 line and a publication line
    assert r.sender_doc_no == "应急厅明电〔2023〕26号"
    # The footer after the date neither hides the signature nor lands in the body.
    assert (r.body, r.signatory, r.signed_on) == ("请做好强降雨防范工作。", "应急管理部办公厅", date(2023, 7, 28))
    # Inferred: the sending unit from the signature, 明电 from the number.
    assert (r.sending_unit, r.classification, r.precedence) == ("应急管理部办公厅", "明电", None)


def test_title_behind_a_news_agency_lead_line_and_a_metadata_block() -> None:
    text = ("发文字号：国办发明电〔2022〕14号\n发布部门：国务院办公厅\n生效日期：2022.05.31\n时效性：现行有效\n\n"
            "新华社北京5月31日电\n国务院办公厅关于进一步做好稳就业工作的通知\n国办发明电〔2022〕14号\n"
            "各省、自治区、直辖市人民政府：\n请认真贯彻落实。\n国务院办公厅\n2022年5月31日\n")
    r = parse(text)
    assert r.title == "国务院办公厅关于进一步做好稳就业工作的通知"
    assert (r.sending_unit, r.sender_doc_no) == ("国务院办公厅", "国办发明电〔2022〕14号")
    assert r.addressees == ["各省、自治区、直辖市人民政府"]


@pytest.mark.parametrize(
    "title_line",
    ["17.《财政部办公厅关于加快预算执行的通知》（2023年6月1日）", "《财政部办公厅关于加快预算执行的通知》",
     "（3）财政部办公厅关于加快预算执行的通知"],
)
def test_compilation_index_and_book_title_marks_are_not_the_title(title_line: str) -> None:
    r = parse(f"政策文件汇编\n\n{title_line}\n财办电〔2023〕5号\n各省财政厅：\n请加快执行。\n财政部办公厅\n2023年6月1日")
    assert r.title == "财政部办公厅关于加快预算执行的通知"


@pytest.mark.parametrize(
    "number_lines",
    ["宁政办发明\n电〔2023〕2号", "宁政办发明电〔2023〕\n2号", "宁政办发明电\n〔2023〕2号"],
)
def test_a_number_broken_across_lines_is_mended(number_lines: str) -> None:
    text = f"特急·明电\n自治区人民政府办公厅关于做好春运工作的通知\n{number_lines}\n各市、县（区）人民政府：\n请做好春运工作。"
    r = parse(text)
    assert r.sender_doc_no == "宁政办发明电〔2023〕2号"
    assert r.title == "自治区人民政府办公厅关于做好春运工作的通知"


def test_a_number_glued_to_the_title_or_to_running_text() -> None:
    r = parse("自治区党委办公厅关于做好汛期值班工作的通知宁党办电〔2024〕21号\n各市、县（区）党委：\n请认真落实。")
    assert (r.title, r.sender_doc_no) == ("自治区党委办公厅关于做好汛期值班工作的通知", "宁党办电〔2024〕21号")
    # In running text only the number itself is taken, not the words before it.
    r = parse("各市财政局：\n按照财预〔2024〕12号文件精神，请抓紧落实。\n自治区财政厅\n2024年1月2日")
    assert r.sender_doc_no is None  # a number quoted in the body is not the sender's
    assert parse("等级：特急 按照财预〔2024〕12号").sender_doc_no == "财预〔2024〕12号"


def test_traditional_script_reads_as_simplified() -> None:
    r = parse("來電單位：國務院辦公廳\n等級：特急 明電 收報時間：2023年7月12日9時5分\n標題：關於做好防汛工作的通知\n"
              "批辦：送：自治區水利廳。")
    assert (r.sender_unit, r.precedence, r.classification) == ("国务院办公厅", "特急", "明电")
    assert r.received_at == datetime(2023, 7, 12, 9, 5, tzinfo=SHANGHAI)
    assert (r.title, r.instruction) == ("关于做好防汛工作的通知", "送：自治区水利厅。")


def test_a_text_whose_line_breaks_were_all_lost() -> None:
    body = "近期，我国大部分地区出现寒潮天气，气温大幅下降，各地要切实做好困难群众基本生活保障工作。"
    text = ("宁机明收[2024]0207号 来电单位：民政部办公厅 等级：特急 明电 收报时间：2024年1月23日8时40分 "
            "标题：民政部办公厅关于做好寒潮天气困难群众救助工作的通知 领导批示： 批办：送：自治区民政厅。 "
            f"民办电〔2024〕3号 各省、自治区、直辖市民政厅（局）：{body}一、加强排查走访。二、及时实施救助。"
            "民政部办公厅 2024年1月22日")
    r = parse(text)
    assert (r.receipt_no, r.sender_unit, r.instruction) == ("宁机明收[2024]0207号", "民政部办公厅", "送：自治区民政厅。")
    assert r.sender_doc_no == "民办电〔2024〕3号"
    assert r.addressees == ["各省、自治区、直辖市民政厅（局）"]
    assert r.body == f"{body}\n一、加强排查走访。\n二、及时实施救助。"
    assert (r.signatory, r.signed_on) == ("民政部办公厅", date(2024, 1, 22))


def test_a_wrapped_instruction_keeps_its_punctuation() -> None:
    r = parse("批办：请发展改革委牵头，\n财政厅、住建厅配合办理；\n于10月15日前报结果。\n\n发电单位：国家发展改革委办公厅")
    assert r.instruction == "请发展改革委牵头，财政厅、住建厅配合办理；于10月15日前报结果。"
    r = parse("标题：国务院办公厅关于做好2023年\n汛期安全防范工作的通知")
    assert r.title == "国务院办公厅关于做好2023年汛期安全防范工作的通知"


@pytest.mark.parametrize("brackets", ["〔〕", "[]", "［］", "（）", "()", "【】"])
@pytest.mark.parametrize("colon", ["：", ":"])
def test_bracket_styles_and_colons_are_normalised(brackets: str, colon: str) -> None:
    o, c = brackets
    r = parse(f"宁机明收{o}2024{c}0931号\n来电单位{colon}国家防汛抗旱总指挥部办公室\n"
              f"发电单位{colon}国家防汛抗旱总指挥部办公室\n等级{colon}特急·明电 国汛办电{o}2024{c}45号\n"
              f"批办{colon}送{colon}自治区水利厅。")
    assert r.receipt_no == ("宁机明收〔2024〕0931号" if brackets == "〔〕" else "宁机明收[2024]0931号")
    assert r.sender_doc_no == "国汛办电〔2024〕45号"
    assert r.sender_unit == "国家防汛抗旱总指挥部办公室"
    assert r.instruction == "送：自治区水利厅。"


def test_ocr_letters_in_numbers_are_read_as_digits() -> None:
    r = parse("宁机明收[2O24]O388号\n来电单位:公安部办公厅\n发电单位:公安部办公厅\n等级 特急·明电 公办明电[2O23]88号")
    assert (r.receipt_no, r.sender_doc_no) == ("宁机明收[2024]0388号", "公办明电〔2023〕88号")


def test_an_addressee_list_wrapped_without_a_separator() -> None:
    r = parse("标题：关于X的通知\n上海、江苏、浙江、宁夏省（区、市）防汛\n抗旱指挥部:\n请做好防御工作。")
    assert r.addressees == ["上海、江苏、浙江、宁夏省（区、市）防汛抗旱指挥部"]
    assert r.body == "请做好防御工作。"


def test_the_body_keeps_its_printed_punctuation() -> None:
    # Full-width forms are for matching fields; the body stays as printed.
    r = parse("各市人民政府：\n(一) 加强值守。\n国务院办公厅\n2023年6月1日")
    assert r.body == "(一) 加强值守。"


# Properties: the same telegram in another script, or with page furniture around it, reads the same.

_S2T = opencc.OpenCC("s2t")
FURNITURE = ["首页 > 政务公开 > 通知公告", "分享到：", "【字体：大 中 小】【打印】【关闭】", "当前位置：首页 > 信息公开",
             "扫一扫在手机打开当前页：", "发布时间：2023-07-28 来源：本部", "上一篇：关于开展检查的通知",
             "下一篇：关于印发办法的通知", "主办单位：某某部 版权所有", "京ICP备18034343号", "—3—",
             "责任编辑：王伟", "联系我们 | 网站地图"]  # fmt: skip


@pytest.mark.parametrize("name", ["c01_guoban_receipt_clean", "c03_web_furniture", "c15_contact_cc_printed",
                                  "c17_joint_labelled_addressee", "s11"])
def test_the_same_text_in_traditional_script_reads_the_same(name: str) -> None:
    text = read_sample("s11_ocr_pagebreaks.txt") if name == "s11" else corpus_case(name)[0]
    assert parse(_S2T.convert(text), now=NOW).to_json_dict() == parse(text, now=NOW).to_json_dict()


@settings(max_examples=40, deadline=None, database=None)
@given(
    st.sampled_from(["c01_guoban_receipt_clean", "c09_docno_broken", "c14_provincial_signer", "c15_contact_cc_printed",
                     "c23_no_signature"]),
    st.lists(st.sampled_from(FURNITURE), max_size=4),
    st.lists(st.sampled_from(FURNITURE), max_size=4),
)
def test_page_furniture_before_and_after_changes_nothing(name: str, before: list[str], after: list[str]) -> None:
    text, _ = corpus_case(name)
    framed = "\n".join(before) + "\n" + text + "\n" + "\n".join(after)
    assert parse(framed, now=NOW).to_json_dict() == parse(text, now=NOW).to_json_dict()


def test_a_short_telegram_collapsed_onto_one_line_without_spaces() -> None:
    text = ("农业农村部办公厅关于做好“三夏”机收工作的通知农办机明电〔2024〕6号各省、自治区、直辖市农业农村（农牧）厅（局、委）："
            "当前，“三夏”生产即将全面展开，现就有关事项通知如下。一、强化组织调度。二、做好服务保障。农业农村部办公厅2024年5月20日")
    r = parse(text)
    assert (r.title, r.sender_doc_no) == ("农业农村部办公厅关于做好“三夏”机收工作的通知", "农办机明电〔2024〕6号")
    assert r.addressees == ["各省、自治区、直辖市农业农村（农牧）厅（局、委）"]
    assert r.body == "当前，“三夏”生产即将全面展开，现就有关事项通知如下。\n一、强化组织调度。\n二、做好服务保障。"
    assert (r.signatory, r.signed_on, r.sending_unit) == ("农业农村部办公厅", date(2024, 5, 20), "农业农村部办公厅")
