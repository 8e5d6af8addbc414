"""Typed errors raised by actions. Callers map them with one helper each (`core.mapping`): to a form error, a
command's exit, an API problem document. Nobody inspects the message text: decide on the class or `code`."""
from __future__ import annotations


class ActionError(Exception):
    """A refused action: nothing was changed. `message` is Chinese and shown to people as is; `field` names
    the input field it concerns (None: the whole input); `code` is stable for programs (the API, imports)."""

    code = "invalid"
    status = 400  # the HTTP status an API answers with

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, **context):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.context = context  # e.g. existing=<pk> for a duplicate

    def __str__(self) -> str:
        return self.message


class InvalidInput(ActionError):
    """A value the person can fix (empty reason, malformed number, date out of range)."""

    code = "invalid"


class NotAllowed(ActionError):
    """The step is not allowed for this person or in this state (an illegal transition, a frozen record)."""

    code = "not_allowed"
    status = 409


class IllegalTransition(NotAllowed):
    code = "illegal_transition"


class Duplicate(ActionError):
    """The thing exists already; `context["existing"]` is its primary key when known."""

    code = "duplicate"
    status = 409


class Forbidden(ActionError):
    code = "forbidden"
    status = 403
