from .services import unread_count


def alerts(request):
    """The unread-alerts badge in the top bar."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"alerts_count": unread_count(user)}
