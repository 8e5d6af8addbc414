"""Where "← 返回" leads: the page the person came from, on this site only.

A list page (settings.BACK_PAGES: the register, the inboxes, the history and directory lists …) is remembered in
the session when it is shown; a detail page's back link goes to, in order: a safe `next` parameter, the referring
page when it is such a list (the right answer with several tabs open), the list remembered in the session (the
referrer is useless after a form post: it names the form), or the person's landing page. Never another site."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

SESSION_KEY = "back_page"


def safe_path(request: HttpRequest, candidate: str | None) -> str | None:
    """`candidate` as a path on this site ("/…", query kept), or None: other hosts, schemes and "//host" refused."""
    if not candidate:
        return None
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    parts = urlsplit(candidate)
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_back_page(path: str) -> bool:
    try:
        return resolve(urlsplit(path).path).view_name in settings.BACK_PAGES
    except Resolver404:
        return False


def back_url(request: HttpRequest) -> str:
    referer = safe_path(request, request.META.get("HTTP_REFERER"))
    candidates = (
        safe_path(request, request.GET.get("next")),
        referer if referer and is_back_page(referer) else None,
        safe_path(request, request.session.get(SESSION_KEY)) if hasattr(request, "session") else None,
    )
    for candidate in candidates:
        if candidate and urlsplit(candidate).path != request.path:
            return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class RememberBackPageMiddleware:
    """Remembers the last list page a person saw (a GET answered 200), for the back links of the pages it leads to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (request.method == "GET" and response.status_code == 200 and match is not None
                and match.view_name in settings.BACK_PAGES and hasattr(request, "session")
                and request.user.is_authenticated):
            path = request.get_full_path()
            if request.session.get(SESSION_KEY) != path:
                request.session[SESSION_KEY] = path
        return response
