from django import template

from ..live import for_request
from ..models import Alert

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_alerts(context, limit: int = 20) -> list:
    """The current user's newest unread alerts (for panels on other apps' pages, e.g. the leader inbox)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(Alert.objects.filter(user=user, read_at__isnull=True).select_related("telegram")[:limit])


@register.simple_tag(takes_context=True)
def live_version(context, *scopes: str) -> str:
    """The versions a live region was rendered at (data-live-version), for the scopes it names (data-live):
    static/js/live.js fetches the page again when the poll reports other ones. On the pages of LIVE_PAGES they
    were read before the view's own queries (notifications.middleware), so a change in between costs one more
    refresh, never a missed one."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return ""
    versions = for_request(request).versions
    return " ".join(versions.get(scope, "") for scope in scopes)
