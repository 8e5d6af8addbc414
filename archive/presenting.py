"""What the telegram page shows of 归档: the 档号 in force, its history, and the forms for who may use them."""
from __future__ import annotations

from dataclasses import dataclass, field

from directory import roles
from telegrams.models import Telegram

from .actions import ARCHIVABLE
from .forms import ArchiveForm, RevokeForm
from .models import Archival


@dataclass
class Panel:
    current: Archival | None
    history: list[Archival] = field(default_factory=list)
    can_archive: bool = False
    can_revoke: bool = False
    can_download: bool = False
    form: ArchiveForm | None = None
    revoke_form: RevokeForm | None = None


def panel(telegram: Telegram, user) -> Panel:
    archivals = list(Archival.objects.filter(telegram=telegram).select_related("archived_by__person", "revoked_by__person"))
    current = next((a for a in archivals if a.revoked_at is None), None)
    clerk, admin = roles.is_clerk(user), roles.is_admin(user)
    return Panel(
        current=current, history=[a for a in archivals if a.revoked_at is not None],
        can_archive=clerk and current is None and telegram.state in ARCHIVABLE,
        can_revoke=admin and current is not None,
        can_download=(clerk or admin) and current is not None,
        form=ArchiveForm(), revoke_form=RevokeForm(),
    )
