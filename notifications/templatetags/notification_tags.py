from django import template

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
