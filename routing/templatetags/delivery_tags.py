from django import template

from directory import roles

register = template.Library()


@register.simple_tag(takes_context=True)
def my_delivery(context, deliveries):
    """The delivery of the current user's unit among a telegram's deliveries (unit staff only), or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not roles.is_unit_staff(user):
        return None
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    unit_id = person.unit_id if person else None
    return next((d for d in deliveries if unit_id and d.unit_id == unit_id), None)
