"""HTML → PDF with WeasyPrint. The only module that imports WeasyPrint (its first import takes a second or two),
and views import it lazily, so the rest of the site never pays for it.

Fonts: the print CSS names the CJK families installed from Debian (fonts-noto-cjk, fonts-wqy-microhei);
fontconfig resolves them by name, so no font files are embedded in the project. Nothing is fetched: every
URL in the document is refused, the stylesheet is read from the app's static folder."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.staticfiles import finders
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STYLESHEET = "printing/print.css"


@dataclass
class Rendered:
    content: bytes
    pages: int


def _no_fetching() -> URLFetcher:
    # No protocol allowed: a URL in a title or a body can never make the server fetch anything.
    return URLFetcher(allowed_protocols=())


@lru_cache(maxsize=1)
def _stylesheet_text() -> str:
    path = finders.find(STYLESHEET)
    if not path:
        raise RuntimeError(f"stylesheet {STYLESHEET} not found")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def render_pdf(html: str) -> Rendered:
    fonts = FontConfiguration()
    css = CSS(string=_stylesheet_text(), font_config=fonts, url_fetcher=_no_fetching())
    document = HTML(string=html, url_fetcher=_no_fetching()).render(stylesheets=[css], font_config=fonts)
    return Rendered(content=document.write_pdf(), pages=len(document.pages))
