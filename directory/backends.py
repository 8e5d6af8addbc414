"""The password backend: Django's own, except that the user loaded for each request brings their Person."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PersonModelBackend(ModelBackend):
    """Every page shows the user's name and unit (Person, Unit) and access checks read the unit; loading them
    with the user saves every request two queries."""

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("person__unit").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
