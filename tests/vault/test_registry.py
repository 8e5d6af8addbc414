"""The registry is the one list rotate_keys walks: it must name every encrypted value, with the right AAD."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import timezone

from api.actions import issue_token
from directory.models import Authenticator
from routing import actions as routing_actions
from telegrams.actions import reply
from telegrams.inputs import ReplyInput, ScanUpload
from tests import factories
from vault import crypto, registry

from .conftest import PDF, register_seed, route_and_complete, write_annotation

pytestmark = pytest.mark.django_db


def test_every_encrypted_column_in_the_project_is_in_the_registry():
    registered = {(k.label, k.field) for k in registry.sealed_fields()}
    encrypted = {
        (model._meta.label, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if f.name.endswith("_enc")
    }
    assert encrypted, "expected at least Telegram.body_enc"
    assert encrypted <= registered, f"encrypted columns missing from vault/registry.py: {encrypted - registered}"


def test_each_app_registers_its_own_sealed_values():
    labels = {k.label for k in registry.sealed_fields()}
    assert {"telegrams.Telegram", "telegrams.Reply", "routing.Delivery", "annotations.Annotation",
            "directory.Authenticator", "api.ApiToken"} <= labels
    assert [f.label for f in registry.sealed_files()] == [
        "telegrams.Scan", "routing.ResultFile", "intake.IntakeScan", "ocr.OcrJob", "ocr.OcrJob"]


def test_the_registry_aad_opens_what_each_model_sealed(clerk, clerk_client, staff_zgh, leader, scan_root):
    """A value sealed by the owning model's own code opens with the registry's AAD (so rotation can open it),
    and not with another row's."""
    telegram = register_seed(clerk)
    other = register_seed(clerk, sender_doc_no="工发电〔2020〕8号")
    delivery = route_and_complete(telegram, staff_zgh)
    rows = {"telegrams.Telegram": (telegram, other), "routing.Delivery": (delivery, None)}
    rows["annotations.Annotation"] = (write_annotation(telegram, leader), write_annotation(other, leader))
    rows["directory.Authenticator"] = (Authenticator.objects.create(user=leader, name="身份验证器", confirmed=True),
                                       Authenticator.objects.create(user=leader, name="身份验证器", confirmed=False))
    rows["api.ApiToken"] = (issue_token(clerk, actor=None)[0], issue_token(leader, actor=None)[0])
    # 答复 (issue 12): the reply to the sender is sealed like the body.
    answer = ReplyInput(method="fax", text="已传达学习。", replied_at=timezone.now(), replied_by="王机要")
    rows["telegrams.Reply"] = (reply(telegram, answer, actor=clerk),
                               reply(factories.register(clerk, sender_doc_no="工发电〔2020〕9号", instruction=""), answer,
                                     actor=clerk))
    for kind in registry.sealed_fields():
        row, another = rows[kind.label]
        row = kind.model.objects.get(pk=row.pk)
        token = getattr(row, kind.field)
        assert token.startswith(crypto.TEXT_PREFIX)
        assert crypto.open_text(token, kind.aad(row))
        if another is not None:
            with pytest.raises(crypto.VaultError):
                crypto.open_text(token, kind.aad(kind.model.objects.get(pk=another.pk)))
    files = registry.sealed_files()[0]
    scan = files.model.objects.get(telegram=telegram)
    assert crypto.open_sealed(files.path(scan).read_bytes(), files.aad(scan)).startswith(b"%PDF-")
    assert getattr(scan, files.key_field) == crypto.keyring().current
    # A result's attachment (issue 12), sealed like a scan.
    third = factories.register(clerk, sender_doc_no="工发电〔2020〕10号")
    factories.route_pending(third)
    d = factories.delivery_of(third, staff_zgh)
    routing_actions.sign(d, actor=staff_zgh)
    routing_actions.complete(d, actor=staff_zgh, result="已办。", files=[ScanUpload("结果.pdf", "application/pdf", PDF)])
    files = registry.sealed_files()[1]
    item = files.model.objects.get(delivery=d)
    assert crypto.open_sealed(files.path(item).read_bytes(), files.aad(item)) == PDF
    assert files.path(item).read_bytes() != PDF
