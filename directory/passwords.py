"""Password rules with Chinese messages where Django's own translation lacks one (its zh_Hans catalogue has no
entry for the minimum-length message: it showed in English on the people form and the password change page)."""
from __future__ import annotations

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要{self.min_length}个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要{self.min_length}个字符。"
