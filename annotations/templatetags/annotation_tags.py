from django import template

from directory import roles
from telegrams.models import TelegramState

from ..forms import AnnotationForm, CorrectionForm
from ..models import ReadRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def annotation_box(context, telegram, annotations) -> dict:
    """What the 批示 box offers the current user: leaders write, and may correct their own latest 批示."""
    request = context.get("request")
    user = getattr(request, "user", None)
    # No box on a void or archived (归档: frozen) telegram: the 批示 would be refused.
    if user is None or not roles.is_leader(user) or telegram.is_void or telegram.state == TelegramState.ARCHIVED:
        return {"can_write": False}
    mine = [a for a in annotations if a.author_id == user.pk and not a.superseded]
    latest = mine[-1] if mine else None
    asked = (ReadRequest.objects.filter(telegram=telegram, leader=user, done_at__isnull=True)
             .select_related("requested_by__person").first())
    return {
        "can_write": True,
        "form": AnnotationForm(auto_id="id_annotation_%s"),
        "latest": latest,
        "correction_form": CorrectionForm(initial={"text": latest.text}, auto_id="id_correction_%s") if latest else None,
        "asked": asked,
    }
