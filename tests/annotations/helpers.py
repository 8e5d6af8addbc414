"""Telegrams for the leaders' journeys, registered through the clerk's service (the form is tested elsewhere)."""
from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

from django.urls import reverse
from django.utils import timezone

from intake import actions
from telegrams.inputs import TelegramInput
from telegrams.models import Telegram

_numbers = count(1)


def register(clerk, *, precedence: str = "平急", hours_ago: float = 1, instruction: str = "", proposal: str = "",
             title: str | None = None) -> Telegram:
    """A telegram as the clerk registers it; with an `instruction` (批办) it is routed at once, like the form."""
    n = next(_numbers)
    received = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=hours_ago)
    data = TelegramInput(
        sender_unit_name="中华全国总工会办公厅", precedence=precedence, received_at=received,
        title=title or f"关于第{n}项工作的通知", sender_doc_no=f"工发电〔2026〕{n}号",
        body="各省、自治区、直辖市总工会：请认真贯彻落实。", instruction=instruction, proposal=proposal,
    )
    return actions.register(data, actor=clerk)


def write(client, telegram, text: str, **extra):
    return client.post(reverse("annotations:write", args=[telegram.pk]), {"text": text, **extra})


def fingerprint(html: str) -> str:
    m = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', html)
    assert m, "the confirmation page offers no 确认 (fingerprint missing)"
    return m.group(1)


def write_and_confirm(client, telegram, text: str):
    """The leader's two steps: submit, read the units found, confirm exactly that."""
    page = write(client, telegram, text)
    assert page.status_code == 200, page.status_code
    return write(client, telegram, text, action="confirm", fingerprint=fingerprint(page.content.decode()))
