"""Who is calling: `Authorization: Token <key>` (an integration, a script) or the browser's session. Without
either the answer is 401 (never a redirect): the page guards (login, second factor) leave /api/ to this."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from directory.security import second_factor_step

from .models import ApiToken, digest_of

# A token's last use is written at most this often (every request would be a write, and SQLite has one writer).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        try:
            parts = authentication.get_authorization_header(request).split()
        except UnicodeError:  # not latin-1: no token of ours
            raise exceptions.AuthenticationFailed("令牌无效或已撤销。")
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("认证信息格式不正确，应为 Authorization: Token <令牌>。")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌无效或已撤销。")
        token = (ApiToken.objects.select_related("user__person__unit")
                 .filter(digest=digest_of(key), revoked_at__isnull=True).first())
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效或已撤销。")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session (CSRF checked on unsafe methods), once its second factor is done: a session still
    waiting for its authenticator code is no login for the API either."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and second_factor_step(result[0]) is not None:
            raise exceptions.AuthenticationFailed("请先在网页上完成两步验证。")
        return result


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None
