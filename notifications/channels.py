"""Where an alert goes besides the in-app list. A channel takes a Message and sends it to the people who have an
address on it; it is called after the change committed and must not raise into the caller (the dispatch logs).

Channels come from the NOTIFICATION_CHANNELS setting (dotted paths); an SMS or IM gateway is one more class with
`send(message)` that reads its own settings."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    kind_label: str
    subject: str
    text: str
    recipients: tuple  # users


class EmailChannel:
    """One e-mail per recipient with an address (recipients never see each other)."""

    name = "email"

    def send(self, message: Message) -> None:
        for user in message.recipients:
            if user.email:
                send_mail(message.subject, message.text, None, [user.email])


@cache
def configured() -> tuple:
    return tuple(import_string(path)() for path in settings.NOTIFICATION_CHANNELS)


def send_everywhere(message: Message) -> None:
    for channel in configured():
        try:
            channel.send(message)
        except Exception:  # one failing gateway must not stop the others
            log.exception("notification channel %s failed", getattr(channel, "name", channel))
