"""The database session store, tolerant of a connection lost after the view committed.

With SESSION_SAVE_EVERY_REQUEST the session is written after the view returned — after a registration has
committed. If the database goes away in between, Django's store raises and the clerk gets a 500 for a telegram
that was registered, and presses save again. Here a lost connection while updating an existing session is
logged and the view's own response (the redirect to the new telegram) goes out; the session keeps its previous
state (its idle timer is not renewed this once). Creating a session (a login) still fails loudly."""
from __future__ import annotations

import logging

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        try:
            super().save(must_create=False)
        except (OperationalError, InterfaceError):
            log.warning("session %s… not saved: the database connection was lost after the request's work",
                        self.session_key[:6], exc_info=True)
