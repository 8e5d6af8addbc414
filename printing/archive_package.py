"""The archive package (归档包) of one archived telegram, and of every telegram archived in a year.

A zip that proves itself offline (archive/verifier.py checks it; docs/security.md says what it proves):
manifest.json + manifest.xml (the metadata the 归档 entry recorded), slip.pdf (the 处理单), body.txt, scans/,
audit/entries.jsonl (the telegram's audit entries, each with its RFC 9162 inclusion proof), audit/tree_head.json
(the signed tree head they are proven against), public_key.pem, and SHA256SUMS over every other file.

The package needs a signed tree head that covers the 归档 entry: the signer (beat) writes one every
AUDIT_CHECKPOINT_INTERVAL, so an export right after 归档 waits for the next checkpoint."""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from archive import records
from archive.actions import active_archival
from archive.models import Archival
from archive.verifier import (
    ENTRIES,
    HASH_LIST,
    MANIFEST_JSON,
    MANIFEST_XML,
    PUBLIC_KEY,
    TREE_HEAD,
    hash_list,
    manifest_xml,
)
from audit import merkle, signing
from audit.chain import at_text
from audit.models import AuditEntry, Checkpoint
from audit.services import record
from core.errors import NotAllowed
from telegrams.models import Telegram

from .slip import slip_context

FORMAT = "telegram_office/archive-package/v1"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same content gives the same bytes


@dataclass
class Package:
    name: str  # file name, by 档号
    content: bytes
    archival: Archival


class Tree:
    """The Merkle tree of the latest signed tree head, built once (a year's batch reuses it)."""

    def __init__(self) -> None:
        cp = Checkpoint.objects.exclude(tree_root="").order_by("-seq").first()
        if cp is None:
            raise NotAllowed("归档记录尚未被签名检查点覆盖（审计链还没有签名树头），请在下一个签名检查点之后再导出。",
                            code="not_checkpointed")
        hashes = AuditEntry.objects.filter(seq__lte=cp.seq).order_by("seq").values_list("hash", flat=True)
        leaves = [merkle.leaf_hash(h) for h in hashes.iterator(chunk_size=5000)]
        self.levels = merkle.levels(leaves)
        if len(leaves) != cp.seq or self.levels[-1].hex() != cp.tree_root:
            raise NotAllowed(f"审计链与第 {cp.seq} 条的签名树头不符，不能导出；请运行 verify_audit。", code="tree_mismatch")
        key = signing.public_key()
        if not signing.tree_head_ok(key, cp.seq, cp.tree_root, cp.hash, cp.at, cp.tree_signature):
            raise NotAllowed(f"第 {cp.seq} 条的签名树头不能用本系统的公钥验证，不能导出。", code="bad_signature")
        self.checkpoint = cp
        self.public_key_pem = signing.public_key_pem(key)

    def proof(self, seq: int) -> list[str]:
        return [h.hex() for h in merkle.proof_from_levels(self.levels, seq - 1)]

    def head(self) -> dict:
        cp = self.checkpoint
        return {"size": cp.seq, "root": cp.tree_root, "chain_hash": cp.hash, "at": at_text(cp.at),
                "signature": cp.tree_signature, "algorithm": "Ed25519", "hash": "SHA-256 (RFC 9162)"}


def _entry_line(e: AuditEntry, proof: list[str]) -> str:
    return json.dumps({
        "seq": e.seq, "at": at_text(e.at), "actor_id": e.actor_id, "actor": e.actor_name, "action": e.action,
        "object_type": e.object_type, "object_id": e.object_id, "data": e.data, "prev_hash": e.prev_hash,
        "hash": e.hash, "inclusion_proof": proof,
    }, ensure_ascii=False, sort_keys=True) + "\n"


def _slip_pdf(telegram: Telegram, printed_by) -> tuple[bytes, int]:
    from . import pdf  # WeasyPrint is slow to import: only when a PDF is made

    html = render_to_string("printing/slip.html", slip_context(telegram, printed_by=printed_by, for_pdf=True))
    rendered = pdf.render_pdf(html)
    return rendered.content, rendered.pages


def build(telegram: Telegram, *, actor, tree: Tree | None = None) -> Package:
    """The package of one archived telegram, its export audited under `actor` (who also 'prints' the 处理单)."""
    archival = active_archival(telegram)
    if archival is None:
        raise NotAllowed(f"{telegram.receipt_no}尚未归档，没有归档包。", code="not_archived")
    tree = tree or Tree()
    size = tree.checkpoint.seq
    entries = list(records.entries_of(telegram).filter(seq__lte=size))
    archived = [e for e in entries if e.action == "archive.archive"]
    if not archived or json.loads(archived[-1].data).get("archive_no") != archival.archive_no:
        raise NotAllowed(f"{telegram.receipt_no}的归档记录尚未被签名检查点覆盖，请稍后（下一个检查点之后）再导出。",
                         code="not_checkpointed")
    data = json.loads(archived[-1].data)
    metadata = data["metadata"]
    files: dict[str, bytes] = {}
    files["body.txt"] = records.body_bytes(telegram)
    for i, scan in enumerate(telegram.scans.order_by("pk"), start=1):
        files[records.scan_name(i, scan.filename)] = scan.read()
    for name, digest in data["files"].items():
        if records.sha256(files.get(name, b"")) != digest:
            raise NotAllowed(f"{name}与归档时记录的 SHA-256 不符，不能导出；请运行 verify_audit 并检查存储。",
                             code="content_mismatch")
    pdf_bytes, pages = _slip_pdf(telegram, actor)
    files["slip.pdf"] = pdf_bytes
    files[MANIFEST_JSON] = (json.dumps({
        "format": FORMAT, "metadata": metadata,
        "package": {"exported_at": timezone.localtime().isoformat(timespec="seconds"), "slip_pages": pages,
                    "audit_entries": len(entries), "tree_size": size,
                    "files": {"处理单": "slip.pdf", "正文": "body.txt", "审计记录": ENTRIES, "签名树头": TREE_HEAD,
                              "公钥": PUBLIC_KEY, "文件哈希清单": HASH_LIST}},
    }, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    files[MANIFEST_XML] = manifest_xml(metadata)
    files[ENTRIES] = "".join(_entry_line(e, tree.proof(e.seq)) for e in entries).encode("utf-8")
    files[TREE_HEAD] = (json.dumps(tree.head(), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    files[PUBLIC_KEY] = tree.public_key_pem.encode("ascii")
    files[HASH_LIST] = hash_list(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), files[name], compress_type=zipfile.ZIP_DEFLATED)
    content = buffer.getvalue()
    with transaction.atomic():
        record(actor, "archive.export", telegram, {
            "receipt_no": telegram.receipt_no, "archive_no": archival.archive_no, "tree_size": size,
            "package": {"sha256": records.sha256(content), "bytes": len(content)},
        })
    return Package(f"{archival.archive_no}.zip", content, archival)


def export_year(year: int, out: Path, *, actor) -> list[Package]:
    """One package per telegram archived under `year` (年度), written into `out`, plus index.json and index.csv.
    `actor` None: each package is exported (and its 处理单 printed) in the name of whoever archived it."""
    out.mkdir(parents=True, exist_ok=True)
    tree = Tree()
    packages = []
    rows = []
    for archival in (Archival.objects.filter(year=year, revoked_at__isnull=True).select_related("telegram")
                     .order_by("retention", "item_no")):
        package = build(archival.telegram, actor=actor or archival.archived_by, tree=tree)
        (out / package.name).write_bytes(package.content)
        packages.append(package)
        t = archival.telegram
        rows.append({"档号": archival.archive_no, "收文号": t.receipt_no, "题名": t.title,
                     "保管期限": archival.get_retention_display(), "文件": package.name,
                     "sha256": records.sha256(package.content)})
    (out / "index.json").write_text(json.dumps({"年度": year, "件数": len(rows), "packages": rows},
                                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = ["档号,收文号,题名,保管期限,文件,sha256"] + [
        ",".join(_csv(r[k]) for k in ("档号", "收文号", "题名", "保管期限", "文件", "sha256")) for r in rows]
    (out / "index.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return packages


def _csv(value: str) -> str:
    value = str(value)
    if value[:1] in ("=", "+", "-", "@"):
        value = "'" + value  # no formulas in a spreadsheet
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value
