"""How the audit log names key rotation and the orphan sweep (audit.catalog; called from VaultConfig.ready)."""
from __future__ import annotations

from audit import catalog


def register() -> None:
    catalog.register_actions({"vault.rotate_keys": "密钥轮换", "vault.orphans_removed": "清理无主扫描文件"})
    catalog.register_object("vault", label="加密存储")
    catalog.register_fields({
        "key_id": "新密钥编号", "reencrypted": "已重新加密", "skipped": "已是新密钥", "kinds": "各类数据",
        "orphans": "无主文件", "orphans_removed": "已删除无主文件", "failed": "失败", "files": "文件",
    })
