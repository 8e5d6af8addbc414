from django.conf import settings

from .live import for_request


class LiveVersionsMiddleware:
    """On a page with live regions (settings.LIVE_PAGES), reads the person's live versions before the view runs
    its queries: the region then never claims a version newer than the rows it shows (notification_tags.live_version)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (request.method == "GET" and match is not None and match.view_name in settings.LIVE_PAGES
                and request.user.is_authenticated):
            for_request(request)
        return None
