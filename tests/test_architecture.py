"""The architecture as the code must keep it: layers that point down (import-linter, .importlinter), states
assigned only by the actions modules, and docs/architecture.md showing the lifecycle tables the code has."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from intake.models import INTAKE_LIFECYCLE
from ocr.models import LIFECYCLE as OCR_LIFECYCLE
from routing.models import DELIVERY_LIFECYCLE, ORDER_LIFECYCLE
from telegrams.models import TELEGRAM_LIFECYCLE
from tests.conftest import ROOT

APPS = ("core", "audit", "vault", "directory", "telegrams", "routing", "annotations", "reminders", "intake", "notifications",
        "desk", "printing", "auditlog", "ocr", "api", "telegram_office")
STATE_ENUMS = {"TelegramState", "DeliveryState", "OrderState", "OcrState", "IntakeState"}


def test_layers_point_down_and_no_app_has_an_import_cycle():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def _source_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def _writes_a_state(node: ast.AST) -> bool:
    """`x.state = …`, `….update(state=…)`, `….create(state=…)`, `Model(state=…)` with a state enum value."""
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = [t for target in targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        return any(isinstance(t, ast.Attribute) and t.attr == "state" for t in flat)
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == "state" and any(isinstance(n, ast.Name) and n.id in STATE_ENUMS for n in ast.walk(kw.value)):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                return name not in ("filter", "exclude", "get", "exists", "Q")  # reading, not writing
    return False


def test_only_the_actions_modules_assign_a_state():
    offenders = []
    for path in _source_files():
        rel = path.relative_to(ROOT).as_posix()
        if path.name == "actions.py":  # telegrams, routing, annotations, ocr, intake: each app's one owner of its states
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _writes_a_state(node):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"state written outside the actions modules: {offenders}"


def test_the_probe_itself_finds_a_state_assignment():
    assert _writes_a_state(ast.parse("t.state = TelegramState.DONE").body[0])
    assert _writes_a_state(ast.parse("Telegram.objects.update(state=TelegramState.DONE)").body[0].value)
    assert not _writes_a_state(ast.parse("Telegram.objects.filter(state=TelegramState.DONE)").body[0].value)


@pytest.mark.parametrize("lifecycle", [TELEGRAM_LIFECYCLE, ORDER_LIFECYCLE, DELIVERY_LIFECYCLE, OCR_LIFECYCLE,
                                       INTAKE_LIFECYCLE], ids=lambda lc: lc.name)
def test_the_architecture_page_shows_each_lifecycle_as_the_code_has_it(lifecycle):
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for state, label, targets in lifecycle.rows():
        row = f"| `{state}` {label} | {'、'.join(targets) or '—'} |"
        assert row in doc, f"docs/architecture.md lacks the row {row!r} of the {lifecycle.name} lifecycle"


def test_every_model_has_a_migration_so_postgresql_builds_the_test_database():
    """A model imported from a package that is not an installed app (django-otp's plugins, say) is filed under the
    nearest installed app that has no migrations; the test database then creates its table with syncdb, before
    auth_user exists, and PostgreSQL refuses the foreign key (SQLite does not check). Runs after collection, when
    every test module has been imported."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    migrated = MigrationLoader(None, ignore_no_migrations=True).migrated_apps
    strays = [f"{m._meta.label} ({m.__module__})" for m in apps.get_models(include_auto_created=True)
              if m._meta.managed and m._meta.app_label not in migrated]
    assert strays == []
