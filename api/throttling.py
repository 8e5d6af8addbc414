"""Rate limits per token (a session counts per user): reads and writes apart, rates from settings.API_RATES
(env API_RATE_READ / API_RATE_WRITE), counted in the default cache (CACHE_URL: Redis in production, so every
web process shares the count)."""
from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .authentication import token_of

SAFE = ("GET", "HEAD", "OPTIONS")


class _PerToken(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_RATES[self.scope]  # read per request, so a settings change applies at once

    def allow_request(self, request, view):
        if (request.method in SAFE) != (self.scope == "read"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ReadRate(_PerToken):
    scope = "read"


class WriteRate(_PerToken):
    scope = "write"
