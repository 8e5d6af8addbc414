"""The one path from a validated registration form to the register, shared by the clerk's form and
`import_telegram`: resolve the 批办 against the directory, then `services.register`."""
from __future__ import annotations

from django.utils import timezone

from directory import snapshot

from . import services
from .forms import TelegramForm
from .models import Telegram


def _input_from(cleaned: dict) -> services.TelegramInput:
    return services.TelegramInput(
        sender_unit_name=cleaned["sender_unit_name"].strip(), precedence=cleaned["precedence"],
        received_at=cleaned["received_at"], title=cleaned["title"], classification=cleaned["classification"],
        sending_unit=cleaned["sending_unit"].strip(), issuer=cleaned["issuer"].strip(),
        sender_doc_no=cleaned["sender_doc_no"], addressees=cleaned["addressees"], cc=cleaned["cc"],
        pages=cleaned["pages"], copies=cleaned["copies"], signatory=cleaned["signatory"].strip(),
        signed_on=cleaned["signed_on"], body=cleaned["body"], instruction=cleaned["instruction"],
        proposal=cleaned["proposal"], receipt_no=cleaned["receipt_no"].strip(), scans=cleaned["scans"] or [],
    )


def register_from_form(form: TelegramForm, actor) -> Telegram | None:
    """Resolve the 批办 against the directory (nothing saved while a unit is unknown), then register."""
    from routing.services import RoutingError, plan_for

    data = _input_from(form.cleaned_data)
    units = snapshot.current()  # read once: the 批办 and the sender unit are resolved against the same directory
    plan = None
    if data.instruction.strip():
        try:
            plan = plan_for(data.instruction, received_on=timezone.localdate(data.received_at), units=units)
        except RoutingError as exc:
            form.add_error("instruction", exc.message)
            return None
        if not plan.ok:
            form.add_error("instruction", plan.unknown_message())
            return None
    try:
        return services.register(data, actor=actor, routes=plan, units=units)
    except services.RegistrationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None
