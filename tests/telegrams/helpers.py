"""Form data for registering telegrams in tests: the seed telegram and variations."""
from __future__ import annotations

from pathlib import Path

SEED_BODY_FILE = Path(__file__).parent / "samples" / "seed_744.txt"

SEED_FORM = {
    "sender_unit_name": "中华全国总工会办公厅",
    "precedence": "特提",
    "classification": "明电",
    "received_at": "2020-05-01T21:36",
    "title": "中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知",
    "sending_unit": "中华全国总工会",
    "issuer": "",
    "sender_doc_no": "工发电[2020]7号",
    "addressees": "各省、自治区、直辖市总工会，各全国产业工会，中央和国家机关工会联合会，全总各部门、各直属单位",
    "cc": "新疆生产建设兵团总工会",
    "pages": "4",
    "copies": "1",
    "signatory": "中华全国总工会办公厅",
    "signed_on": "2020-05-01",
    "body": "4月30日，在“五一”国际劳动节来临之际，习近平总书记给郑州圆方集团职工回信……\n各省、自治区、直辖市总工会……请及时报告全国总工会。",
    "instruction": "送：自治区总工会。",
    "proposal": "",
    "receipt_no": "",
}


def form(**overrides) -> dict:
    data = dict(SEED_FORM)
    data.update(overrides)
    return data
