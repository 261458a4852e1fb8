"""HTML to PDF with WeasyPrint: A4, real text, the fonts embedded (DejaVu from the system, found by
fontconfig: every Czech letter is there), page numbers in the footer.

Nothing is fetched while a document is made: a template (the kraj's included) cannot make the server
read a file or a URL, so every style comes from ``print.css`` handed over here and every link stays a
link.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

PRINT_CSS = Path(__file__).parent.parent / "static" / "print.css"


class FetchRefused(ValueError):
    """A document asked for an outside resource (an image, a style sheet, a font by URL)."""


@functools.cache
def _fetcher() -> Any:
    """WeasyPrint's fetcher with every fetch refused: the resource is left out (WeasyPrint logs a
    warning) and the document is made without it."""
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise FetchRefused(f"documents fetch nothing: {url[:100]}")

    return NoFetching(allowed_protocols=(), fail_on_errors=False)


@functools.cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(string=PRINT_CSS.read_text(encoding="utf-8"), url_fetcher=_fetcher())


def html_to_pdf(html: str) -> bytes:
    """The PDF of a whole HTML page (its ``<title>`` becomes the document's title)."""
    from weasyprint import HTML  # imported when a document is made: it loads Pango, which takes a moment

    document = HTML(string=html, url_fetcher=_fetcher(), base_url="about:blank")
    return document.write_pdf(stylesheets=[_stylesheet()])
