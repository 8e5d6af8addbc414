"""The admin's forms on the 接口账号 page. They read input; the rules are the actions' (api.actions)."""
from __future__ import annotations

from django import forms

from directory import roles
from directory.models import Unit

from .actions import ACCOUNT_ROLES


class SystemAccountForm(forms.Form):
    username = forms.CharField(label="账号名", max_length=150, help_text="如 oa-system；字母、数字和 @ . + - _",
                               error_messages={"required": "请填写账号名。"})
    full_name = forms.CharField(label="名称", max_length=50, help_text="在审计日志中显示，如“OA系统”",
                                error_messages={"required": "请填写名称。"})
    role = forms.ChoiceField(label="角色", choices=[(r, r) for r in ACCOUNT_ROLES], initial=roles.CLERK,
                             help_text="机要员：登记和查阅来电；承办人：本单位来电的签收、办结")
    unit = forms.ModelChoiceField(label="所在单位", queryset=Unit.objects.filter(active=True), required=False,
                                  empty_label="（承办人必选）")
    purpose = forms.CharField(label="用途", max_length=200, error_messages={"required": "请填写用途。"},
                              help_text="如“机要终端自动登记”")


class IssueTokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, required=False)
