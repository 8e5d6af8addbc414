import time
import pytest
from datetime import timedelta
from pathlib import Path
from django.urls import reverse
from django.utils import timezone
from tests.printing.helpers import register_seed, route_now
pytestmark = pytest.mark.django_db

N = 4999
def test_try(clerk_client, clerk):
    from telegrams.models import Telegram
    t = register_seed(clerk_client)
    route_now(t)
    base = timezone.make_aware(timezone.datetime(2021, 1, 1, 8, 0))
    precs = ["特提", "特急", "加急", "平急"]
    Telegram.objects.bulk_create([Telegram(receipt_no=f"宁机明收[2021]{i}号", receipt_year=2021, receipt_seq=i,
        sender_unit_name="国务院办公厅", precedence=precs[i % 4], precedence_rank=i % 4, received_at=base + timedelta(hours=i),
        title=f"关于做好第{i}项工作的通知" + ("（补充说明较长的标题用于测试换行效果）" if i % 3 == 0 else ""),
        sender_doc_no=f"国办电〔2021〕{i}号", instruction="送：自治区财政厅。" if i % 2 else "", registered_by=clerk) for i in range(1, N + 1)])
    for fmt in ("xlsx", "csv", "pdf"):
        t0 = time.monotonic()
        r = clerk_client.get(reverse("printing:register_export", args=[fmt]), {"date_from": "2020-01-01", "date_to": "2022-12-31"})
        body = b"".join(r.streaming_content) if fmt == "csv" else r.content
        print(fmt, r.status_code, len(body), time.monotonic() - t0, flush=True)
        Path(f"/tmp/slipout/register.{fmt}").write_bytes(body)
