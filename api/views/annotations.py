"""Leaders' 批示 over the API: preview what a text will do (the routes parsed against the directory), then save
it with the preview's fingerprint — the same two steps as the 核对批示 page (annotations.drafts)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from annotations import actions as annotation_actions
from annotations import drafts
from annotations.models import Annotation
from directory import roles
from telegrams.access import telegram_for

from .. import serializers as s
from ..errors import PROBLEM_JSON, body
from ..schema import IDEMPOTENCY_KEY, problems
from .base import ApiView, idempotency_key, iso


def draft_json(draft: drafts.Draft) -> dict:
    plan = draft.plan
    return {
        "text": draft.text,
        "routes": [{"unit": r["unit"], "role": r["role"]} for r in draft.new_routes],
        "already_routed": [{"unit": r["unit"], "role": r["role"]} for r in draft.already_routed],
        "unknown_units": [{"name": n, "candidates": list(plan.suggestions.get(n, []))} for n in plan.unknown],
        "deadline": plan.deadline,
        "archive": bool(plan.archive),
        "readers": [drafts.signature(u) for u in draft.readers],
        "unknown_leaders": [{"name": n, "candidates": c} for n, c in draft.unknown_leaders.items()],
        "needs_confirmation": draft.needs_confirmation,
        "ok": draft.ok,
        "fingerprint": draft.fingerprint,
    }


def annotation_json(a: Annotation) -> dict:
    return {"id": a.pk, "telegram": a.telegram_id, "author": a.author_name, "text": a.text, "at": iso(a.created_at),
            "version": a.version}


class AnnotationPreview(ApiView):
    roles = (roles.LEADER,)
    parser_classes = [JSONParser]

    @extend_schema(operation_id="annotation_preview", summary="预览批示",
                   description="识别批示将分送的单位、存档、请阅示的领导；不保存。",
                   request=s.AnnotationInputSerializer, responses={200: s.DraftSerializer, **problems(404)})
    def post(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        serializer = s.AnnotationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(draft_json(drafts.prepare(telegram, serializer.validated_data["text"], actor=request.user)))


class Annotations(ApiView):
    roles = {"GET": None, "POST": (roles.LEADER,)}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="annotations_list", summary="批示列表",
                   description="本件的全部批示版本，按时间。",
                   responses={200: s.AnnotationSerializer(many=True), **problems(404)})
    def get(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        return Response([annotation_json(a) for a in Annotation.objects.filter(telegram=telegram)])

    @extend_schema(operation_id="annotations_create", summary="批示", description=(
        "只是意见的批示直接保存；要分送单位、存档或请领导阅示的批示须先预览，再带上预览的 fingerprint 保存。"
        "没有 fingerprint 或内容已变时答复 409（code=confirmation_required），draft 为新的识别结果。"),
        request=s.AnnotationInputSerializer, parameters=[IDEMPOTENCY_KEY],
        responses={201: s.AnnotationSerializer, **problems(400, 404, 409)})
    def post(self, request, pk: int):
        telegram = telegram_for(request.user, pk)
        serializer = s.AnnotationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text, fingerprint = serializer.validated_data["text"], serializer.validated_data.get("fingerprint") or ""
        key = idempotency_key(request)
        saved = Annotation.objects.filter(submission_key=key, telegram=telegram).first() if key else None
        if saved is not None:  # a retry: once saved, its routes count as sent, so the draft would differ now
            return Response(annotation_json(saved), status=201)
        draft = drafts.prepare(telegram, text, actor=request.user)
        if draft.needs_confirmation and fingerprint != draft.fingerprint:
            message = ("批示内容或机构目录已变化，请核对新的识别结果后重新确认。" if fingerprint else
                       "该批示将分送单位、存档或请领导阅示：请核对识别结果，带上 fingerprint 确认保存。")
            return Response(body(409, message, code="confirmation_required", instance=request.path, draft=draft_json(draft)),
                            status=409, content_type=PROBLEM_JSON)
        try:
            annotation = annotation_actions.annotate(telegram, draft.text, request.user, draft.plan, submission_key=key)
        except annotation_actions.AlreadyAnnotated:  # the same request again: what the first one saved
            annotation = Annotation.objects.get(submission_key=key)
        return Response(annotation_json(annotation), status=201)
