"""How the audit log names this app's actions and data fields (audit/catalog.py)."""
from __future__ import annotations

from audit import catalog

from .models import Retention


def register() -> None:
    catalog.register_actions({"archive.archive": "归档", "archive.revoke": "撤销归档", "archive.export": "导出归档包"})
    catalog.register_fields(
        {"archive_no": "档号", "fonds": "全宗号", "year": "年度", "retention": "保管期限", "item_no": "件号",
         "metadata": "著录项", "files": "文件摘要（SHA-256）", "audit_seqs": "此前的审计记录序号", "package": "归档包"},
        values={"retention": dict(Retention.choices)}, object_types=["telegrams.telegram"],
    )
