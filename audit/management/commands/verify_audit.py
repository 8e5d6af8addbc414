"""verify_audit: walk the audit chain and the checkpoint signatures.

Contract (DESIGN.md): exit 0 with `OK <N> entries` as the last line of stdout; otherwise a non-zero exit and one
line naming the first bad seq (`FAIL at seq 17: hash mismatch`). Progress goes to stderr, on a terminal only.
The chain is checked against every checkpoint of the witness log (AUDIT_WITNESS_DIR and its mirrors, or the
copies given with --witness)."""
from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import signing
from audit.verify import verify_chain


class Command(BaseCommand):
    help = "校验审计日志哈希链与检查点签名：通过时输出 “OK <N> entries”，否则以非零退出并指出首个异常序号。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key", action="append", metavar="B64",
            help="用保存在数据库之外的公钥（base64 或 PEM）校验签名，可重复给出；默认用配置的签名密钥的公钥",
        )


        parser.add_argument(
            "--witness", action="append", metavar="FILE",
            help="用保存在别处的见证日志副本校验（可重复给出）；默认用 AUDIT_WITNESS_DIR 及其镜像中的见证日志",
        )

    def handle(self, *args, public_key=None, witness=None, **options):
        try:
            keys = [signing.load_public_key(k) for k in public_key] if public_key else None
        except signing.SigningKeyError as exc:
            raise CommandError(f"--public-key 无效：{exc}")
        progress = self._progress if self.stderr.isatty() else None
        self._last = 0.0
        files = None
        if witness:
            files = [Path(f) for f in witness]
            missing = [str(f) for f in files if not f.is_file()]
            if missing:
                raise CommandError(f"--witness 文件不存在：{'、'.join(missing)}")
        result = verify_chain(public_keys=keys, progress=progress, witness_files=files)
        if progress:
            self.stderr.write("")
        if not result.ok:
            raise CommandError(result.message)
        self.stdout.write(result.message)

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.2:
            return
        self._last = now
        pct = 100 * done // total if total else 100
        self.stderr.write(f"\r校验中 {done}/{total} ({pct}%)", ending="")
        self.stderr.flush()
