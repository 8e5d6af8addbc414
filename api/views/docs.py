"""The OpenAPI document and Swagger UI, served by the app itself (drf-spectacular-sidecar: no CDN). The UI's
start-up script is a file of its own (SpectacularSwaggerSplitView), so the CSP needs no inline script."""
from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions


class Schema(SpectacularAPIView):
    """GET schema/ (YAML), ?format=json for JSON; any signed-in role."""


class Docs(SpectacularSwaggerSplitView):
    """Swagger UI for a signed-in browser: a page, so a visitor without a session goes to the login page."""

    url_name = "api:schema"
    template_name = "api/swagger_ui.html"
    title = "明电收文管理系统 API"

    def handle_exception(self, exc):
        here = self.request.get_full_path()
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect(f"{reverse('login')}?{urlencode({'next': here})}")
        if isinstance(exc, exceptions.AuthenticationFailed):  # a session still waiting for its second factor
            return redirect(f"{reverse('otp_verify')}?{urlencode({'next': here})}")
        return super().handle_exception(exc)
