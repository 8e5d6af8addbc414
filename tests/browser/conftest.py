"""Browser journeys: real Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's
live_server. Every journey saves a screenshot per step under test-output/browser/<test name>/NN-step.png."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import IN_CI, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the background-networking flags Chromium dials out at start-up, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--lang=zh-CN",
]
# Chinese browser widgets (date fields, "选择文件") as the office's own browsers show them; Chromium takes its
# UI language from the environment, and needs Debian's chromium-l10n for it (without it: English widgets).
CHROMIUM_ENV = {"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"}
OUTPUT = ROOT / "test-output" / "browser"
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone, in CSS pixels
# DOCS_SCREENSHOTS=1: the steps named for the docs are also written to docs/screenshots/ (viewport-sized).
DOCS = ROOT / "docs" / "screenshots"
WRITE_DOCS = os.environ.get("DOCS_SCREENSHOTS", "") == "1"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium 未安装（{CHROMIUM}）"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread; Django would then refuse the
    # test's own ORM calls as "async". They are plain synchronous calls, so allow them while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                      env={**os.environ, **CHROMIUM_ENV})
        yield chromium
        chromium.close()
    finally:
        pw.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Shots:
    """Numbered screenshots of one test: shots(page, "register-form") → NN-register-form.png."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.n = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def __call__(self, page, step: str, *, full_page: bool = True, docs: str = "") -> Path:
        """`docs`: also the docs' screenshot of that name (docs/screenshots/<docs>.png) when DOCS_SCREENSHOTS=1."""
        self.n += 1
        path = self.folder / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if docs and WRITE_DOCS:
            page.screenshot(path=str(DOCS / f"{docs}.png"))
        return path


@pytest.fixture
def shots(request) -> Shots:
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    return Shots(OUTPUT / name)


@pytest.fixture
def new_page(browser, live_server, request, shots):
    """A factory of pages, each in a fresh browser context (own cookies: one context per person)."""
    contexts = []
    static_failures: list[str] = []

    def make(viewport: dict = VIEWPORT):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
            has_touch=viewport["width"] < 800,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("response", lambda r: static_failures.append(f"{r.status} {r.url}")
                if "/static/" in r.url and r.status >= 400 else None)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                # A crashed page must not hide the test's own failure.
                with contextlib.suppress(PlaywrightError):
                    page.screenshot(path=str(shots.folder / f"99-failure-{i}{j}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert not static_failures, f"static files failed to load: {static_failures}"


@pytest.fixture
def page(new_page):
    return new_page()
