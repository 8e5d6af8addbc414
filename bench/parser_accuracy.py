#!/usr/bin/env python3
"""Field-by-field accuracy of the text parser (telegrams.textparse) on the corpus in tests/telegrams/corpus.

    .venv/bin/python bench/parser_accuracy.py            # the table per field, the total, the misses
    .venv/bin/python bench/parser_accuracy.py --quiet    # the total only

Each corpus case is a text (NAME.txt) and the fields a careful clerk reads from it (NAME.json, the
`parse_telegram --json` shape). A field counts as right only when it equals the expected value exactly
(lists in order, the body paragraph by paragraph). No database, no Django settings: the parser is pure Python.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegrams.textparse import FIELD_NAMES, SHANGHAI, TelegramParseError, parse  # noqa: E402

CORPUS = ROOT / "tests" / "telegrams" / "corpus"
NOW = datetime(2025, 7, 20, 12, 0, tzinfo=SHANGHAI)  # the same fixed "now" as the tests


def load_cases() -> list[tuple[str, str, dict]]:
    cases = []
    for txt in sorted(CORPUS.glob("*.txt")):
        expected = json.loads(txt.with_suffix(".json").read_text(encoding="utf-8"))
        cases.append((txt.stem, txt.read_text(encoding="utf-8"), {k: expected[k] for k in FIELD_NAMES}))
    return cases


def parsed_fields(text: str) -> dict:
    try:
        return parse(text, now=NOW).to_json_dict()
    except TelegramParseError:
        return {name: ([] if name in ("addressees", "cc") else None) for name in FIELD_NAMES}


def _short(value: object) -> str:
    text = repr(value)
    return text[:90] + "…" if len(text) > 90 else text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quiet", action="store_true", help="print the total only")
    args = ap.parse_args()
    cases = load_cases()
    right = {name: 0 for name in FIELD_NAMES}
    misses: list[tuple[str, str, object, object]] = []
    for case, text, expected in cases:
        got = parsed_fields(text)
        for name in FIELD_NAMES:
            if got[name] == expected[name]:
                right[name] += 1
            else:
                misses.append((case, name, got[name], expected[name]))
    total = len(cases) * len(FIELD_NAMES)
    correct = sum(right.values())
    if not args.quiet:
        print(f"parser accuracy on {len(cases)} texts × {len(FIELD_NAMES)} fields ({CORPUS.relative_to(ROOT)})\n")
        print(f"{'field':<16}{'right':>7}{'of':>5}{'accuracy':>10}")
        for name in FIELD_NAMES:
            print(f"{name:<16}{right[name]:>7}{len(cases):>5}{right[name] / len(cases):>10.1%}")
        if misses:
            print("\nmisses (case, field: got / expected):")
            for case, name, got, exp in misses:
                print(f"  {case} {name}: {_short(got)} / {_short(exp)}")
        print()
    print(f"fields right: {correct} of {total} = {correct / total:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
