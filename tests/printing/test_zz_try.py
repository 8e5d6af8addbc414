import pytest
from pathlib import Path
from django.urls import reverse
from tests.printing.helpers import register_seed, route_now, pdf_to_png
pytestmark = pytest.mark.django_db

def test_try(clerk_client, staff_zgh, staff_cz, leader):
    from routing.services import sign, complete
    from annotations.services import annotate
    t = register_seed(clerk_client)
    route_now(t)
    annotate(t, "请区总工会牵头认真组织学习，抓好贯彻落实；财政厅配合做好相关保障。", leader)
    route_now(t)
    d = t.deliveries.get(unit__name="自治区总工会")
    sign(d, actor=staff_zgh)
    complete(d, actor=staff_zgh, result="已传达至各级工会，5月6日组织专题学习，拟于5月底报送落实情况。")
    d2 = t.deliveries.exclude(pk=d.pk).first()
    if d2: sign(d2, actor=staff_cz)
    r = clerk_client.get(reverse("printing:slip_pdf", args=[t.pk]))
    assert r.status_code == 200, r.content[:500]
    out = Path("/tmp/slipout"); out.mkdir(exist_ok=True)
    for p in out.glob("*"): p.unlink()
    pdf_to_png(r.content, out)
    (out/"slip.html").write_text(clerk_client.get(reverse("printing:slip", args=[t.pk])).content.decode())
