"""Steps shared by the browser journeys: log in, fill the registration form, read computed styles."""
from __future__ import annotations

import time

PASSWORD = "Demo-2026-mingdian"  # directory/demo.py
# The red of static/css/app.css (--red: #b3261e) as the browser reports a computed colour.
RED = "rgb(179, 38, 30)"
# The page background of app.css (--bg: #f4f6f9): proves the stylesheet is applied, not just requested.
BACKGROUND = "rgb(244, 246, 249)"


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/accounts/login/" not in page.url, f"login as {username} failed: {page.inner_text('main')[:300]}"
    # The stylesheet is really applied (not just requested): the page background comes from app.css.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND


def computed(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, "(el, p) => getComputedStyle(el).getPropertyValue(p)", prop)


def tiny_png(width: int = 48, height: int = 24) -> bytes:
    """A small but real PNG (decodable by the browser), standing in for a scanned page."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((179, 38, 30)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def fill_registration(page, data: dict, scans: list[dict] | None = None) -> None:
    """Fill the 登记来电 form the way a clerk does: find each field by its Chinese label."""
    from intake.forms import TelegramForm

    for name, value in data.items():
        field = TelegramForm.base_fields[name]
        control = page.get_by_label(field.label)
        if hasattr(field, "choices"):
            control.select_option(value)
        elif value != "":
            control.fill(str(value))
    if scans:
        page.get_by_label("扫描件").set_input_files(scans)


def form_cell(page, header: str):
    """The <td> right after the <th> that reads `header` in the 内部明电 receipt table."""
    return page.locator("#receipt-form table.form th", has_text=header).locator("xpath=following-sibling::td[1]")


def reload_until(page, locator, worker, timeout: float = 30.0, what: str = "delivered") -> None:
    """What the worker makes shows up on a reload, as a person would find it: reload for up to `timeout`."""
    deadline = time.monotonic() + timeout
    while locator.count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    log = worker.log.read_text(errors="replace")[-3000:] if worker.log.exists() else ""
    assert locator.count() == 1, f"not {what} within {timeout}s; worker log:\n{log}"


class SidewaysCheck:
    """Every page a phone journey lands on must fit the screen: `check(page)` asserts
    document.documentElement.scrollWidth <= the viewport width, and `all_checked()` that no page the browser
    navigated to was left unchecked."""

    def __init__(self, page, width: int = 390):
        self.width = width
        self.visited: list[str] = []
        self.checked: set[str] = set()
        page.on("framenavigated", lambda frame: self.visited.append(frame.url) if frame.parent_frame is None else None)

    def __call__(self, page) -> int:
        page.wait_for_load_state()
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= self.width, f"{page.url} scrolls sideways at {self.width}px: scrollWidth {scroll}"
        self.checked.add(page.url)
        return scroll

    def all_checked(self) -> None:
        unchecked = [u for u in self.visited if u not in self.checked]
        assert not unchecked, f"pages visited but not checked for sideways scrolling: {unchecked}"


def tap_height(locator) -> float:
    """The rendered height of a control in CSS pixels (thumb targets want 44)."""
    return locator.bounding_box()["height"]
