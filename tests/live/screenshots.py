"""README's screenshots: the start page of each role, taken in Debian's Chromium (Playwright) from the
application served by gunicorn on the live tests' demo data (see tests/live/test_ui_crawl.py).

    python -m tests.live.screenshots [--out docs/screenshots]

Re-run it whenever the start pages change; it writes ``start-<role>.png`` for each role."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.live.server import ROOT, Server, live_database, prepare

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ACCOUNTS = {
    "ospod": "ospod.pardubice@demo.cz",
    "provider": "provider1@demo.cz",
    "kraj": "kraj.pak@demo.cz",
    "ministry": "mpsv@demo.cz",
    "admin": "admin@demo.cz",
}
VIEWPORT = {"width": 1280, "height": 800}


def take(base_url: str, out: Path) -> list[Path]:
    """Log in as each role and photograph its start page (the visible screen, as a visitor sees it)."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for role, email in ACCOUNTS.items():
            context = browser.new_context(base_url=base_url, locale="cs-CZ", viewport=VIEWPORT)
            page = context.new_page()
            page.goto("/login")
            page.fill("#email", email)
            page.fill("#password", "demo")
            with page.expect_navigation():
                page.press("#password", "Enter")
            page.goto("/")
            target = out / f"start-{role}.png"
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    from tests.live.test_ui_crawl import demo_scenario

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with live_database(folder, "screenshots") as url:
            prepare(url, folder, demo_scenario)
            with Server(url, folder) as server:
                for path in take(server.base_url, args.out):
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
