"""Form pieces every app's forms use."""
from __future__ import annotations

import re
import uuid

from django import forms

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_token() -> str:
    return uuid.uuid4().hex


class SubmissionTokenField(forms.CharField):
    """A one-time token rendered into a form (hidden). The action that creates something stores it under a unique
    index, so the same submission sent again — a double click, a save repeated after a lost reply — lands on
    what the first one created instead of making a copy. A missing or malformed token is simply not used."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", new_token)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return value if _TOKEN.match(value or "") else ""
