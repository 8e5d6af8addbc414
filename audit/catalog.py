"""Chinese names of the audited actions, for the log's display and the action filter's suggestions.
An action missing here still shows (by its code name); add new ones as apps start recording them."""
from __future__ import annotations

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
    "telegram.register": "登记来电",
    "telegram.import": "导入来电文本",
    "telegram.correct": "更正",
    "telegram.void": "作废",
    "telegram.view_body": "查看正文",
    "telegram.download_scan": "下载扫描件",
    "telegram.print": "打印处理单",
    "telegram.archive": "归档",
    "telegram.review": "初审",
    "telegram.propose": "拟办",
    "telegram.return": "退文",
    "telegram.print_return_notice": "打印退文告知单",
    "telegram.reply": "答复",
    "register.export": "导出登记簿",
    "annotation.write": "批示",
    "annotation.correct": "更正批示",
    "routing.order": "分送指令",
    "routing.delivered": "送达单位",
    "routing.sign": "签收",
    "routing.done": "办结",
    "routing.hand_back": "单位退回",
    "routing.reroute": "退回后改送",
    "routing.handback_settled": "退回后不再分送",
    "routing.transfer": "转办",
    "routing.download_file": "下载办理结果附件",
    "annotation.circulate": "发起传阅",
    "annotation.circulation_pass": "传阅阅毕",
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
    "audit.export_csv": "导出审计日志",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "")


def action_for_label(text: str) -> str | None:
    for action, label in ACTION_LABELS.items():
        if label == text:
            return action
    return None
