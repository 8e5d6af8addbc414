from . import roles


def current_person(request):
    """What the top bar shows: the user's name, role and unit."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return {
        "me_name": person.full_name if person else user.get_username(),
        "me_role": roles.primary_role(user),
        "me_unit": person.unit.name if person and person.unit else "",
        "me_is_clerk": roles.is_clerk(user),
        "me_is_leader": roles.is_leader(user),
        "me_is_admin": roles.is_admin(user),
        "me_is_staff": roles.is_unit_staff(user),
        "me_sees_register": roles.sees_register(user),
    }
