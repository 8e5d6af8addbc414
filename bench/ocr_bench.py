#!/usr/bin/env python3
"""OCR figures on generated receipt forms (bench/ocr_forms.py): character error rate, key fields found by the
parser, seconds per page cold and warm, peak memory.

    .venv/bin/python bench/ocr_bench.py            # both telegrams × clean PNG, clean PDF, fax, phone photo
    .venv/bin/python bench/ocr_bench.py --quick    # the seed telegram only

Needs the OCR extra (requirements-ocr.txt) and a CJK font. No database: the engine and the parser only.
CER = Levenshtein distance between what was printed and what was read, whitespace removed, over the printed
length. "Fields" = how many of the seven key fields (收文号, 来电单位, 等级, 收报时间, 标题, 批办, 发电字号) the text
parser read exactly right from the OCR text. "cold" = a fresh process: imports, engine creation and the first
page; "warm" = a page read by a process whose engine has read before. Memory = peak RSS of that process.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def squeeze(text: str) -> str:
    return "".join(text.split())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cold(variant: str) -> dict:
    """One page in a fresh interpreter (this script with --cold)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--cold", variant], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def scans(quick: bool):
    from bench import ocr_forms as forms

    for t in forms.TELEGRAMS[:1] if quick else forms.TELEGRAMS:
        page, printed = forms.render_form(t)
        yield t, printed, "clean 200 dpi PNG", forms.clean(page)
        yield t, printed, "clean 200 dpi PDF", forms.as_pdf(page)
        yield t, printed, "fax (grey, 1.5°, 150 dpi, blur, JPEG q50)", forms.fax(page)
        yield t, printed, "phone photo (perspective, light, 3°, JPEG q80)", forms.phone(page)


def run_cold(variant: str) -> None:
    started = time.monotonic()
    from bench import ocr_forms as forms
    from ocr import engine

    page, _ = forms.render_form(forms.SEED)
    data = {"clean": forms.clean, "fax": forms.fax, "phone": forms.phone}[variant](page)
    t0 = time.monotonic()
    engine.read_document(data)
    print(json.dumps({"seconds": time.monotonic() - t0, "with_imports": time.monotonic() - started,
                      "peak_mb": peak_mb()}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the seed telegram only")
    ap.add_argument("--cold", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cold:
        run_cold(args.cold)
        return 0
    from ocr import engine
    from telegrams.textparse import TelegramParseError, parse

    if not engine.available():
        print("OCR extra not installed: pip install -r requirements-ocr.txt", file=sys.stderr)
        return 2
    print("cold start (fresh process, first page of the seed form):")
    for variant in ("clean", "fax"):
        c = cold(variant)
        print(f"  {variant:<6} page {c['seconds']:.1f} s, with imports {c['with_imports']:.1f} s, "
              f"peak {c['peak_mb']:.0f} MB")
    from bench import ocr_forms as forms

    engine.read_document(forms.clean(forms.render_form(forms.SEED, header_only=True)[0]))  # warm the engine
    print(f"\n{'scan':<48}{'telegram':<10}{'CER':>7}{'fields':>8}{'s/page':>8}")
    rows = []
    for t, printed, label, data in scans(args.quick):
        t0 = time.monotonic()
        result = engine.read_document(data)
        seconds = time.monotonic() - t0
        truth, read = squeeze("".join(printed)), squeeze(result.text)
        cer = levenshtein(truth, read) / len(truth)
        try:
            parsed = parse(result.text).to_json_dict()
        except TelegramParseError:
            parsed = {}
        expected = t.key_fields()
        found = sum(parsed.get(k) == v for k, v in expected.items())
        missed = [k for k, v in expected.items() if parsed.get(k) != v]
        rows.append((label, cer, found, seconds))
        print(f"{label:<48}{t.doc_no[:8]:<10}{cer:>7.2%}{found:>6}/7{seconds:>8.1f}"
              + (f"   missed: {', '.join(f'{k}={parsed.get(k)!r}' for k in missed)}" if missed else ""))
    print(f"\nwarm: {sum(r[3] for r in rows) / len(rows):.1f} s per page on average "
          f"(min {min(r[3] for r in rows):.1f}, max {max(r[3] for r in rows):.1f}); "
          f"fields {sum(r[2] for r in rows)}/{7 * len(rows)}; peak memory of this process {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
