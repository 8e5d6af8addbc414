from django.conf import settings

from directory.middleware import BACKGROUND_HEADER

from .services import unread_count


def alerts(request):
    """The unread-alerts badge in the top bar."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {
        "alerts_count": unread_count(user), "live_poll_ms": int(settings.LIVE_POLL_SECONDS * 1000),
        # A live region's refresh (static/js/live.js) leaves flash messages for the person's next page.
        "live_background": request.headers.get(BACKGROUND_HEADER) == "1",
    }
