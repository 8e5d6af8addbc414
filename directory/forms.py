"""The login form and the second-factor code form."""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

USERNAME_MAX = 150  # auth.User.username


class LoginForm(AuthenticationForm):
    def clean(self):
        # Django's form does not enforce the username length; a longer name cannot exist, and django-axes would fail
        # to store it (varchar 255 on PostgreSQL): refuse it as a wrong login, before any lookup.
        if len(self.cleaned_data.get("username") or "") > USERNAME_MAX:
            raise self.get_invalid_login_error()
        return super().clean()


class TokenForm(forms.Form):
    token = forms.CharField(label="验证码", max_length=32, strip=True,
                            error_messages={"required": "请输入验证码。", "max_length": "验证码过长。"},
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                          "autofocus": True}))
