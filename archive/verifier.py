"""Checking an archive package (归档包) offline: no database, no Django settings, only this project's pure modules
(audit.chain, audit.merkle) and `cryptography`. `manage.py verify_archive` calls it; so can
`python -m archive.verifier FILE.zip [--public-key KEY]` on a machine that has only the project's code.

What a package holds and what each check proves (docs/security.md, "Archive packages"):

- `SHA256SUMS` lists every other file with its SHA-256: a file changed, missing or added is named;
- `audit/entries.jsonl`: the telegram's audit entries with every field of the chain's hash, each with its
  RFC 9162 inclusion proof; `audit/tree_head.json`: the signed tree head (size, Merkle root, chain hash, time,
  Ed25519 signature) of a checkpoint covering them. Each entry's hash is recomputed from its fields, its leaf is
  taken up its proof to the root, and the root's signature is checked with the public key (given on the command
  line — kept outside the package and the database — else the package's own `public_key.pem`);
- the latest `archive.archive` entry (the 归档 itself, now proven) vouches for the rest: the SHA-256 of
  `body.txt` and of every scan, the metadata in `manifest.json` and `manifest.xml`, and the seqs of all the
  telegram's earlier entries — so a file swapped together with its line in SHA256SUMS, or an entry removed
  together with its proof, is still caught.

Other telegrams' entries never travel: the proofs carry only hashes of subtrees.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import merkle
from audit.chain import link_hash, tree_head_message

HASH_LIST = "SHA256SUMS"
ENTRIES = "audit/entries.jsonl"
TREE_HEAD = "audit/tree_head.json"
PUBLIC_KEY = "public_key.pem"
MANIFEST_JSON = "manifest.json"
MANIFEST_XML = "manifest.xml"
ARCHIVE_ACTION = "archive.archive"
MAX_FILES = 10000


@dataclass
class Problem(Exception):
    """What is wrong with a package: `kind` for programs (changed file, missing file, unlisted file, broken chain,
    missing entry, bad signature, mismatch, unreadable), `message` in Chinese for people."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


# --- the manifest's XML: one function writes it (export) and the verifier rebuilds it to compare -----------

XML_ORDER = ["题名", "文号", "责任者", "日期", "密级", "保管期限", "保管期限代码", "档号", "全宗号", "年度", "件号",
             "件数", "页数", "扫描件数"]
RECEIPT_ORDER = ["receipt_no", "sender_unit", "precedence", "classification", "received_at", "title", "instruction",
                 "sending_unit", "issuer", "sender_doc_no", "addressees", "cc", "signatory", "signed_on", "copies"]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def manifest_xml(metadata: dict) -> bytes:
    """DA/T 46-style 著录 as XML: 电子文件/著录/(题名, 文号, …) and 收文/(the receipt's fields)."""
    root = ElementTree.Element("电子文件", {"标准": "DA/T 46-2009（参照）", "类别": "明电收文"})
    described = ElementTree.SubElement(root, "著录")
    for key in XML_ORDER:
        ElementTree.SubElement(described, key).text = _text(metadata.get(key))
    receipt = ElementTree.SubElement(root, "收文")
    for key in RECEIPT_ORDER:
        ElementTree.SubElement(receipt, key).text = _text(metadata.get("receipt", {}).get(key))
    ElementTree.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode").encode("utf-8") + b"\n"


def hash_list(files: dict[str, bytes]) -> bytes:
    """`sha256sum` format: "<hex>  <path>" per file, sorted by path (`sha256sum -c SHA256SUMS` checks it too)."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())).encode("utf-8")


# --- keys ------------------------------------------------------------------------------------------------------

def load_public_key(text: str) -> Ed25519PublicKey:
    """A public key as base64 of the raw 32 bytes, as PEM, or the path of a file holding either."""
    text = text.strip()
    if not text.startswith("-----BEGIN") and len(text) != 44 and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError:
            raise Problem("unreadable", "公钥 PEM 无法解析")
        if not isinstance(key, Ed25519PublicKey):
            raise Problem("unreadable", "公钥不是 Ed25519 密钥")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Problem("unreadable", "公钥既不是 base64 也不是 PEM，也不是可读的文件")
    if len(raw) != 32:
        raise Problem("unreadable", f"公钥应为 32 字节（base64 解码后为 {len(raw)} 字节）")
    return Ed25519PublicKey.from_public_bytes(raw)


# --- the checks --------------------------------------------------------------------------------------------------

def _read_zip(source: str | Path | bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            if len(infos) > MAX_FILES:
                raise Problem("unreadable", f"归档包文件过多（{len(infos)} 个）")
            return {i.filename: z.read(i) for i in infos}
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise Problem("unreadable", f"归档包无法读取：{exc}")


def _check_hash_list(files: dict[str, bytes]) -> None:
    if HASH_LIST not in files:
        raise Problem("missing file", f"文件缺失：{HASH_LIST}（文件哈希清单）")
    listed: dict[str, str] = {}
    for n, line in enumerate(files[HASH_LIST].decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise Problem("unreadable", f"{HASH_LIST} 第 {n} 行无法解析")
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Problem("missing file", f"文件缺失：{name}")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Problem("changed file", f"文件被改动：{name}（SHA-256 与 {HASH_LIST} 不符）")
    extra = sorted(set(files) - set(listed) - {HASH_LIST})
    if extra:
        raise Problem("unlisted file", f"清单外的文件：{extra[0]}（不在 {HASH_LIST} 中）")
    for name in (MANIFEST_JSON, MANIFEST_XML, ENTRIES, TREE_HEAD, "body.txt"):
        if name not in files:
            raise Problem("missing file", f"文件缺失：{name}（{HASH_LIST} 中也没有列出）")


def _json(files: dict[str, bytes], name: str):
    try:
        return json.loads(files[name].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise Problem("unreadable", f"{name} 不是有效的 JSON")


def _entries(files: dict[str, bytes]) -> list[dict]:
    out = []
    for n, line in enumerate(files[ENTRIES].decode("utf-8", "replace").splitlines(), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                raise Problem("unreadable", f"{ENTRIES} 第 {n} 行无法解析")
    return out


def _check_tree_head(head: dict, key: Ed25519PublicKey, key_given: bool) -> None:
    try:
        message = tree_head_message(int(head["size"]), head["root"], head["chain_hash"], head["at"])
        key.verify(base64.b64decode(head["signature"], validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError, KeyError, TypeError):
        whose = "给定的公钥" if key_given else f"包内的公钥（{PUBLIC_KEY}）"
        raise Problem("bad signature", f"签名无效：签名树头（第 {head.get('size')} 条）的签名不能用{whose}验证")


def _check_entries(entries: list[dict], head: dict) -> None:
    size, root = int(head["size"]), head["root"]
    seen = set()
    for e in entries:
        try:
            seq = int(e["seq"])
            digest = link_hash(e["prev_hash"], seq, e["at"], e["actor_id"], e["actor"], e["action"],
                               e["object_type"], e["object_id"], e["data"])
        except (KeyError, TypeError, ValueError):
            raise Problem("unreadable", f"{ENTRIES} 中的记录字段不全")
        if seq in seen:
            raise Problem("broken chain", f"审计链不符：第 {seq} 条记录出现两次")
        seen.add(seq)
        if digest != e.get("hash"):
            raise Problem("broken chain", f"审计链不符：第 {seq} 条记录被改动（重新计算的哈希与记录的哈希不符）")
        try:
            path = [bytes.fromhex(p) for p in e.get("inclusion_proof", [])]
            reached = merkle.root_from_inclusion(merkle.leaf_hash(digest), seq - 1, size, path)
        except ValueError:
            reached = None
        if reached is None or reached.hex() != root:
            raise Problem("broken chain", f"审计链不符：第 {seq} 条记录不在签名树头（共 {size} 条）的默克尔树中")


def _archive_entry(entries: list[dict]) -> dict:
    archived = [e for e in entries if e.get("action") == ARCHIVE_ACTION]
    if not archived:
        raise Problem("missing entry", "审计记录缺失：包中没有归档记录（archive.archive）")
    return max(archived, key=lambda e: int(e["seq"]))


def _check_against_archive_entry(files: dict[str, bytes], entries: list[dict], entry: dict) -> None:
    data = json.loads(entry["data"])
    present = {int(e["seq"]) for e in entries}
    for seq in data.get("audit_seqs", []):
        if int(seq) not in present:
            raise Problem("missing entry", f"审计记录缺失：第 {seq} 条（归档记录第 {entry['seq']} 条列出了它，包中没有）")
    for name, digest in sorted(data.get("files", {}).items()):
        if name not in files:
            raise Problem("missing file", f"文件缺失：{name}（归档记录第 {entry['seq']} 条列出了它）")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Problem("changed file", f"文件被改动：{name}（与归档记录第 {entry['seq']} 条的 SHA-256 不符）")
    metadata = data.get("metadata", {})
    manifest = _json(files, MANIFEST_JSON)
    if manifest.get("metadata") != metadata:
        raise Problem("changed file", f"文件被改动：{MANIFEST_JSON}（著录项与归档记录第 {entry['seq']} 条不符）")
    if files[MANIFEST_XML] != manifest_xml(metadata):
        raise Problem("changed file", f"文件被改动：{MANIFEST_XML}（著录项与归档记录第 {entry['seq']} 条不符）")


def verify(source: str | Path | bytes, public_key: str | None = None) -> None:
    """Raise Problem naming the first thing wrong with the package; return quietly when it proves itself."""
    key = load_public_key(public_key) if public_key else None
    files = _read_zip(source)
    _check_hash_list(files)
    if key is None:
        if PUBLIC_KEY not in files:
            raise Problem("missing file", f"文件缺失：{PUBLIC_KEY}（且未给出 --public-key）")
        key = load_public_key(files[PUBLIC_KEY].decode("utf-8", "replace"))
    head = _json(files, TREE_HEAD)
    _check_tree_head(head, key, public_key is not None)
    entries = _entries(files)
    _check_entries(entries, head)
    _check_against_archive_entry(files, entries, _archive_entry(entries))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify_archive", description="离线校验归档包：通过时输出 OK")
    parser.add_argument("package", help="归档包（.zip）")
    parser.add_argument("--public-key", help="签名公钥（base64、PEM 或其文件），应取自数据库和归档包之外")
    args = parser.parse_args(argv)
    try:
        verify(args.package, args.public_key)
    except Problem as problem:
        print(f"FAIL {problem.kind}: {problem.message}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
