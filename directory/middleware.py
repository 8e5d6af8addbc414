import time

from django.conf import settings
from django.contrib import auth
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from audit.context import acting_as

from .security import client_ip, has_control_characters, second_factor_step
from .services import log_auth_event


def _is_api(request) -> bool:
    """The REST API authenticates each request itself and answers in JSON (401, problem documents): the page
    guards below never redirect it to a page or render one for it."""
    return request.path_info.startswith(settings.API_PATH_PREFIX)


class NoStoreMiddleware:
    """Every page, download and export the application answers may carry decrypted text (a body, a 批示, a scan,
    a result) or a person's data: no browser or proxy cache may keep it (`Cache-Control: no-store, …`). Static
    files are served before this runs (whitenoise) and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class AuditActorMiddleware:
    """The request's user is the actor of audit entries written by signal receivers during the request (a password
    set in admin, a role granted): audit.context.current_actor()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)


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
                log_auth_event("auth.session_expired", user=request.user, ip=client_ip(request),
                               data={"hours": settings.SESSION_MAX_LIFETIME // 3600})
                auth.logout(request)  # flushes the session: the old key is dead
                if not _is_api(request):  # the API answers an anonymous request 401 itself
                    return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class SecondFactorMiddleware:
    """A signed-in user who has an authenticator (or whose role requires one) reaches only the second-factor pages
    and logout until the session is verified. Placed after django_otp's OTPMiddleware."""

    OPEN_VIEWS = {"login", "logout", "otp_verify", "otp_setup"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.url_name in self.OPEN_VIEWS and not match.namespace:
            return None
        if _is_api(request):  # its session authentication refuses an unverified session (401)
            return None
        step = second_factor_step(request.user)
        if step is None:
            return None
        target = reverse("otp_verify" if step == "verify" else "otp_setup")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


# The paste panel's text (intake.prefill.PasteForm): the parser reads a form feed as a line break and never
# copies one into a field.
PAGE_BREAK_FIELDS = {"text"}


class ControlCharacterMiddleware:
    """Refuses a request whose parameters (names or values, query string or form) contain NUL or another control
    character other than tab and line breaks: a clear Chinese page (400), and the view never runs, so nothing is
    written. Runs in process_view, after the CSRF check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_api(request):  # it refuses control characters itself, with a problem document naming the field
            return None
        sources = [request.GET]
        if request.method == "POST":
            sources.append(request.POST)
        for params in sources:
            for key, values in params.lists():
                if key in PAGE_BREAK_FIELDS:  # pasted terminal/OCR output carries form feeds between pages
                    values = [v.replace("\x0c", "\n") for v in values]
                if has_control_characters(key) or any(has_control_characters(v) for v in values):
                    return render(request, "registration/bad_input.html", status=400)
        return None
