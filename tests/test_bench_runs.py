"""`bench/run.py --quick` runs to the end against the real services and writes results.json in the shape
bench/README.md promises. No figure is asserted: speed is measured by the benchmark, never by a test."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
def test_the_quick_benchmark_runs_and_writes_every_figure(tmp_path):
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"] or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("the benchmarks run on PostgreSQL and Redis only")
    from tests.conftest import db_url_for_subprocess

    broker = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/13"  # a Redis database nobody else consumes
    results = tmp_path / "results.json"
    env = {**os.environ, "DATABASE_URL": db_url_for_subprocess(), "CELERY_BROKER_URL": broker,
           "BENCH_DB": f"bench_test_{os.getpid()}", "BENCH_RESULTS": str(results)}
    run = subprocess.run([sys.executable, "bench/run.py", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    figures = json.loads(results.read_text())
    assert set(figures) == {"register", "route", "latency", "audit_verify", "register_list", "stats",
                            "register_floor", "body_search"}
    for name, figure in figures.items():
        assert set(figure) == {"ours", "baseline", "ratio", "unit", "detail"}, name
        assert figure["ours"] > 0 and figure["baseline"] > 0 and figure["ratio"] > 0, name
        assert figure["detail"]["mode"] == "quick"
    assert "ratio" in run.stdout and "register" in run.stdout
