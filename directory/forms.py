"""The login form and the second-factor code form."""
from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from . import roles
from .models import Unit

USERNAME_MAX = 150  # auth.User.username


class LoginForm(AuthenticationForm):
    def clean(self):
        # Django's form does not enforce the username length; a longer name cannot exist, and django-axes would fail
        # to store it (varchar 255 on PostgreSQL): refuse it as a wrong login, before any lookup.
        if len(self.cleaned_data.get("username") or "") > USERNAME_MAX:
            raise self.get_invalid_login_error()
        return super().clean()


class TokenForm(forms.Form):
    token = forms.CharField(label="验证码", max_length=32, strip=True,
                            error_messages={"required": "请输入验证码。", "max_length": "验证码过长。"},
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                                          "autofocus": True}))


# --- the directory pages ---------------------------------------------------------------------------------------

class TagsWidget(forms.Widget):
    """A list of short names edited as tags: one text input per tag, all under the field's name, plus an empty one
    to add a tag. static/js/tags.js turns them into chips (× removes, Enter or 、 adds); without it they still work."""

    template_name = "directory/widgets/tags.html"  # in directory/templates/: the form renderer reads app folders

    def value_from_datadict(self, data, files, name):
        return data.getlist(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def format_value(self, value):
        if isinstance(value, str):
            return [value] if value else []
        return [str(v) for v in value or []]


class TagsField(forms.Field):
    widget = TagsWidget
    SEPARATORS = re.compile(r"[、，,|\n]")

    def __init__(self, *, max_length: int = 100, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if isinstance(value, str):
            value = [value]
        tags: list[str] = []
        for item in value or []:
            # A tag typed without the script may hold several, separated the way people list names.
            for tag in self.SEPARATORS.split(str(item)):
                tag = tag.strip()
                if tag and tag not in tags:
                    tags.append(tag)
        return tags

    def validate(self, value):
        super().validate(value)
        for tag in value:
            if len(tag) > self.max_length:
                raise forms.ValidationError(f"“{tag[:20]}…”超过{self.max_length}字。")


class UnitForm(forms.ModelForm):
    aliases = TagsField(label="别名", required=False,
                        help_text="其他叫法，批办和来电单位按这些名称识别本单位；输入后按回车添加。")

    class Meta:
        model = Unit
        fields = ["name", "short_name", "aliases", "parent", "active"]
        error_messages = {"name": {"required": "请填写单位名称。", "unique": "同名单位已经存在。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Unit.objects.filter(active=True)
        if self.instance.pk:
            # Neither itself nor one of its own sub-units can be its parent (no loops).
            parents = parents.exclude(pk__in=self.instance_and_descendants())
            if self.instance.parent_id:
                parents = parents | Unit.objects.filter(pk=self.instance.parent_id)
        self.fields["parent"].queryset = parents.order_by("name")
        self.fields["parent"].empty_label = "（无）"
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    def instance_and_descendants(self) -> set[int]:
        found, frontier = {self.instance.pk}, {self.instance.pk}
        while frontier:
            frontier = set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
            found |= frontier
        return found

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_aliases(self):
        """An alias must name this unit only: another unit's name, short name or alias would make a 批办 ambiguous."""
        aliases = self.cleaned_data["aliases"]
        others = Unit.objects.exclude(pk=self.instance.pk) if self.instance.pk else Unit.objects.all()
        for name, short, their_aliases in others.values_list("name", "short_name", "aliases"):
            taken = {name, short, *(their_aliases or [])}
            clash = next((a for a in aliases if a in taken), None)
            if clash:
                raise forms.ValidationError(f"“{clash}”已是单位“{name}”的名称或别名，不能再作本单位的别名。")
        return aliases


class PersonForm(forms.Form):
    username = forms.RegexField(
        label="用户名", max_length=150, regex=r"^[\w.@+-]+$",
        help_text="登录用，字母、数字或 @ . + - _。",
        error_messages={"required": "请填写用户名。", "invalid": "用户名只能包含字母、数字和 @ . + - _。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    full_name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名。"})
    role = forms.ChoiceField(label="角色", choices=[("", "请选择")] + [(r, r) for r in roles.ALL_ROLES],
                             error_messages={"required": "请选择角色。"})
    unit = forms.ModelChoiceField(label="所在单位", queryset=Unit.objects.none(), required=False, empty_label="（无）",
                                  help_text="承办人必须选择单位，只能看到本单位收到的来电。")
    title = forms.CharField(label="职务", max_length=50, required=False)
    is_active = forms.BooleanField(label="可以登录", required=False, initial=True,
                                   help_text="停用后不能登录，记录保留。")
    password = forms.CharField(label="初始密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = Unit.objects.filter(active=True)
        current_unit = getattr(getattr(user, "person", None), "unit_id", None) if user else None
        if current_unit:
            units = units | Unit.objects.filter(pk=current_unit)
        self.fields["unit"].queryset = units.order_by("name")
        if user is not None:
            # The user name is how the audit log and the login know the person: it is not changed here.
            self.fields["username"].required = False
            self.fields["username"].disabled = True
            self.fields["password"].label = "重设密码"
            self.fields["password"].help_text = "留空则不修改。"
        else:
            self.fields["password"].help_text = "至少10位，请当面告知本人，登录后在“修改密码”中更换。"

    def clean(self):
        data = super().clean()
        if data.get("role") == roles.STAFF and not data.get("unit"):
            self.add_error("unit", "承办人必须属于一个单位。")
        if self.user is None and not data.get("password"):
            self.add_error("password", "请为新用户设置初始密码。")
        password = data.get("password")
        if password:
            probe = self.user or get_user_model()(username=data.get("username") or "")
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class UnitImportForm(forms.Form):
    file = forms.FileField(label="CSV 文件", help_text="列：name,short_name,aliases,parent（别名以 | 分隔），UTF-8 或 GB18030 编码。",
                           error_messages={"required": "请选择 CSV 文件。"})
