import time

from django.conf import settings
from django.contrib import auth
from django.shortcuts import redirect


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after login however active it is (idle expiry is SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get("login_at")
            if started is None:
                request.session["login_at"] = int(time.time())
            elif time.time() - started > settings.SESSION_MAX_LIFETIME:
                auth.logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
