"""What the audit log shows people: Chinese names of the actions, of the objects entries are about (with a link),
and of the fields in their data.

The audit app imports no domain app. Each app describes its own objects and data fields here, from its
AppConfig.ready: `register_object("telegrams.telegram", label="来电", describe=…, find=…)`, `register_fields({…})`,
`register_actions({…})`. The page asks once per object type and page (`describe(entries)`), never per row.
Anything not registered still shows, by its code name."""
from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

ACTION_LABELS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出",
    "auth.locked_out": "账户锁定",
    "auth.session_expired": "会话到期",
    "auth.otp_enrolled": "启用两步验证",
    "auth.otp_verified": "两步验证通过",
    "auth.otp_failed": "两步验证失败",
    "auth.recovery_code_used": "使用恢复码",
    "auth.recovery_codes_regenerated": "重新生成恢复码",
    "auth.totp_device_saved": "修改身份验证器",
    "auth.totp_device_deleted": "删除身份验证器",
    "auth.recovery_codes_saved": "修改恢复码",
    "auth.recovery_codes_deleted": "删除恢复码",
    "auth.password_changed": "修改密码",
    "auth.groups_changed": "变更用户角色",
    "auth.permissions_changed": "变更用户权限",
    "auth.group_permissions_changed": "变更角色权限",
    "auth.otp_device_saved": "两步验证设备变更",
    "auth.otp_device_deleted": "删除两步验证设备",
    "telegram.register": "登记来电",
    "telegram.import": "导入来电文本",
    "telegram.correct": "更正",
    "telegram.void": "作废",
    "telegram.view_body": "查看正文",
    "telegram.download_scan": "下载扫描件",
    "telegram.print": "打印处理单",
    "telegram.archive": "归档",
    "register.export": "导出登记簿",
    "annotation.write": "批示",
    "annotation.correct": "更正批示",
    "routing.order": "分送指令",
    "routing.delivered": "送达单位",
    "routing.sign": "签收",
    "routing.done": "办结",
    "directory.import_units": "导入单位",
    "directory.user_created": "创建用户",
    "directory.user_updated": "更新用户",
    "directory.unit_saved": "保存单位",
    "directory.unit_deleted": "删除单位",
    "directory.person_saved": "保存人员",
    "directory.person_deleted": "删除人员",
    "directory.user_saved": "保存用户",
    "directory.user_deleted": "删除用户",
    "directory.user_roles": "变更角色",
    "directory.role_saved": "保存角色",
    "directory.role_deleted": "删除角色",
    "directory.role_permissions": "变更角色权限",
    "audit.verify_requested": "发起审计校验",
    "alarms.cleared": "解除告警",
    "audit.export_csv": "导出审计日志",
    "audit.export_jsonl": "导出审计日志（JSON Lines）",
}


def register_actions(labels: dict[str, str]) -> None:
    """Chinese names of an app's audited actions ("routing.remind": "催办")."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "")


def actions_labelled(part: str) -> list[str]:
    """Actions whose Chinese name contains `part` (empty for a code such as "routing.sign")."""
    if not part or part.isascii():
        return []
    return [action for action, label in ACTION_LABELS.items() if part in label]


def action_for_label(text: str) -> str | None:
    for action, label in ACTION_LABELS.items():
        if label == text:
            return action
    return None


# --- objects ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """An object as a person reads it: "宁机明收[2020]744号 · 自治区财政厅（牵头）", and where to look at it."""

    text: str
    url: str = ""


Describe = Callable[[list[str]], dict[str, Shown]]  # object ids (as stored) → how each one shows; missing = gone
Find = Callable[[str], Iterable[str]]  # what a person typed (a receipt number, a unit, a user name) → object ids


@dataclass(frozen=True)
class ObjectKind:
    label: str
    describe: Describe | None = None
    find: Find | None = None


_kinds: dict[str, ObjectKind] = {}


def register_object(object_type: str, *, label: str, describe: Describe | None = None, find: Find | None = None) -> None:
    """`object_type` as entries store it (the model's label_lower, e.g. "routing.delivery")."""
    _kinds[object_type] = ObjectKind(label, describe, find)


def kind_label(object_type: str) -> str:
    kind = _kinds.get(object_type)
    return kind.label if kind else object_type


def describe(entries: Iterable) -> None:
    """Sets `object_text` and `object_url` on each entry: one describe call per object type present."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.object_type and e.object_id:
            wanted[e.object_type].add(e.object_id)
    shown: dict[tuple[str, str], Shown] = {}
    for object_type, ids in wanted.items():
        kind = _kinds.get(object_type)
        if kind is None or kind.describe is None:
            continue
        try:
            found = kind.describe(sorted(ids))
        except Exception:  # a page of the log must show even when one kind cannot be described
            log.exception("audit catalog: describing %s failed", object_type)
            continue
        shown.update({(object_type, oid): s for oid, s in found.items()})
    for e in entries:
        s = shown.get((e.object_type, e.object_id))
        label = kind_label(e.object_type) if e.object_type else ""
        if s is not None:
            e.object_text, e.object_url = f"{label}：{s.text}" if label else s.text, s.url
        elif e.object_id:
            e.object_text, e.object_url = f"{label} #{e.object_id}", ""
        else:
            e.object_text, e.object_url = label, ""


def find_objects(term: str) -> list[tuple[str, str]]:
    """(object_type, object_id) of every registered object the term names."""
    found = []
    for object_type, kind in _kinds.items():
        if kind.find is None:
            continue
        try:
            found += [(object_type, str(oid)) for oid in kind.find(term)]
        except Exception:
            log.exception("audit catalog: finding %r in %s failed", term, object_type)
    return found


# --- data fields -----------------------------------------------------------------------------------------------

# Keys any app's data may use; apps add their own (their models' fields) with register_fields.
FIELD_LABELS: dict[str, str] = {
    "telegram": "收文号", "receipt_no": "收文号", "name": "名称", "username": "用户名", "unit": "单位", "role": "角色",
    "state": "状态", "created": "新建", "changed": "修改内容", "changes": "修改内容", "reason": "原因", "ip": "IP地址",
    "old": "原值", "new": "新值", "added": "增加", "removed": "去掉", "now": "现为", "secrets_changed": "已修改的保密项",
    "failures": "失败次数", "minutes": "锁定分钟", "hours": "小时", "locked": "已锁定", "kind": "方式",
    "throttled": "暂停验证中", "second_factor": "两步验证", "recovery_codes": "恢复码个数", "remaining": "剩余恢复码",
    "format": "格式", "count": "条数", "file": "文件", "sha256": "SHA-256", "updated": "更新", "unchanged": "未变",
    "user": "用户", "full_name": "姓名", "title": "职务", "groups": "角色", "permissions": "权限",
    "user_permissions": "权限", "is_active": "有效", "is_staff": "可进入后台", "is_superuser": "超级用户",
    "password": "密码", "last_login": "上次登录", "date_joined": "加入时间", "email": "电子邮箱", "first_name": "名",
    "last_name": "姓", "confirmed": "已确认",
    # audit.export_csv: the filters the export was asked with (audit.filters.AuditFilter)
    "actor": "操作人", "action": "动作", "date_from": "日期自", "date_to": "日期至", "page": "页码",
}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "kind": {"recovery": "恢复码", "totp": "身份验证器"},
    "second_factor": {"pending": "待验证", "none": "未启用"},
}


_scoped_fields: dict[str, dict[str, str]] = defaultdict(dict)
_scoped_values: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)


def register_fields(labels: dict[str, str], values: dict[str, dict[str, str]] | None = None, *,
                    object_types: Iterable[str] = ()) -> None:
    """Chinese labels of data keys ("receipt_no": "收文号"), and of coded values per key ("role": {"lead": "牵头"}).
    With `object_types`, they apply only to entries about those objects (a person's "title" is 职务, a
    telegram's 标题); otherwise to every entry."""
    labels = {k: str(v) for k, v in labels.items()}
    values = {key: {k: str(v) for k, v in mapping.items()} for key, mapping in (values or {}).items()}
    targets = [(_scoped_fields[t], _scoped_values[t]) for t in object_types] or [(FIELD_LABELS, VALUE_LABELS)]
    for field_table, value_table in targets:
        field_table.update(labels)
        for key, mapping in values.items():
            value_table.setdefault(key, {}).update(mapping)


@dataclass
class Field:
    label: str
    text: str = ""
    children: list[Field] = field(default_factory=list)


@dataclass(frozen=True)
class _Names:
    """The labels in force for one entry: the global ones, overridden by its object type's own."""

    fields: dict[str, str]
    values: dict[str, dict[str, str]]
    order: dict[str, int]

    @classmethod
    def for_type(cls, object_type: str) -> _Names:
        scoped = _scoped_fields.get(object_type, {})
        # Shown in the order the labels were registered (an app lists its model's fields in the form's order),
        # the object's own first; the stored JSON is sorted by key, which reads at random in Chinese.
        order = {key: i for i, key in enumerate([*scoped, *(k for k in FIELD_LABELS if k not in scoped)])}
        return cls(FIELD_LABELS | scoped, VALUE_LABELS | _scoped_values.get(object_type, {}), order)

    def ordered(self, record: dict) -> list[tuple[str, object]]:
        return sorted(record.items(), key=lambda item: self.order.get(item[0], len(self.order)))

    def label(self, key: str) -> str:
        return self.fields.get(key, key)

    def scalar(self, key: str, value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, str):
            return self.values.get(key, {}).get(value, value)
        return str(value)

    def inline(self, key: str, value) -> str:
        """A value on one line: lists joined with 、, a small record as "单位：… · 角色：…"."""
        if isinstance(value, dict):
            if set(value) == {"old", "new"}:
                return f"{self.inline(key, value['old'])} → {self.inline(key, value['new'])}"
            return " · ".join(f"{self.label(k)}：{self.inline(k, v)}" for k, v in self.ordered(value)) or "—"
        if isinstance(value, list):
            return "、".join(self.inline(key, v) for v in value) or "无"
        return self.scalar(key, value)

    def field(self, key: str, value) -> Field:
        if isinstance(value, dict) and value and set(value) != {"old", "new"}:
            return Field(self.label(key), children=[self.field(k, v) for k, v in self.ordered(value)])
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            return Field(self.label(key), children=[Field(str(i), self.inline(key, v)) for i, v in enumerate(value, 1)])
        return Field(self.label(key), self.inline(key, value))


def field_label(key: str, object_type: str = "") -> str:
    return _Names.for_type(object_type).label(key)


def data_fields(data: str, object_type: str = "") -> list[Field]:
    """An entry's canonical JSON as labelled fields (nested records as nested fields)."""
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return [Field("数据", data)]
    names = _Names.for_type(object_type)
    if not isinstance(value, dict):
        return [Field("数据", names.inline("", value))]
    return [names.field(k, v) for k, v in names.ordered(value)]
