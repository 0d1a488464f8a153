"""Screenshots of the sections: the sample site built in four looks, shot in headless Chromium.

    python scripts/screenshots.py [--out docs/assets/screenshots]

Builds a copy of `sample_site/` (offline) with the mkdocs, readthedocs, Material and Material
slate themes, serves each on 127.0.0.1 and writes one PNG per look and width of the sections
of `posts/webmentions-101/` (credits, backlinks, mentions). Needs playwright and Debian's
chromium at /usr/bin/chromium.

The browser tests of the look (tests/processes/test_styles.py) build, serve and open the
pages through these same functions, so the pages they check are the ones the docs show.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_site"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOKS: dict[str, dict[str, Any]] = {
    "mkdocs": {"name": "mkdocs"},
    "readthedocs": {"name": "readthedocs"},
    # font: false, so no request leaves the machine for Google Fonts.
    "material": {"name": "material", "font": False},
    "material-slate": {"name": "material", "font": False, "palette": {"scheme": "slate"}},
}
"""The `theme` of each look, as it would be written in mkdocs.yml."""
PAGE = "posts/webmentions-101/"
"""The sample's page with all three sections: credits, backlinks and other sites' mentions."""
WIDTHS = (1280, 375)
SECTIONS = "section.backlinks"


def copy_sample(look: str, parent: Path) -> Path:
    """A fresh copy of the sample in `parent` (its committed data, no earlier output)."""
    root = parent / look
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("site", "outreach.*", ".cache"))
    return root


def build_site(root: Path, look: str) -> Path:
    """Build the site at `root` in `look`, offline, as `mkdocs build` does; its site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    # Offline for this build only: a test process goes on to run other tests.
    previous = os.environ.get("MKDOCS_BACKLINKS_OFFLINE")
    os.environ["MKDOCS_BACKLINKS_OFFLINE"] = "1"
    try:
        config = load_config(str(root / "mkdocs.yml"), theme=LOOKS[look])
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    finally:
        if previous is None:
            del os.environ["MKDOCS_BACKLINKS_OFFLINE"]
        else:
            os.environ["MKDOCS_BACKLINKS_OFFLINE"] = previous
    return root / "site"


def build_sample(look: str, parent: Path) -> Path:
    """The sample built in `look` inside `parent`; its site folder."""
    return build_site(copy_sample(look, parent), look)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1 (directory URLs need a server); its base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _local_only(route: Route) -> None:
    # Anything not from the served site (an avatar's host, a theme's CDN) fails at once
    # instead of waiting on a network this machine may not have: the page is shot as a
    # reader without that host would see it.
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def open_page(
    browser: Browser, base: str, width: int, path: str = PAGE, media: str = "screen"
) -> Page:
    """`path` of the site at `base` in a new page `width` pixels wide, loaded for `media`
    (`print` set before loading: switched later, Chromium keeps some screen-time colours)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(10_000)
    page.emulate_media(media="print" if media == "print" else "screen")
    page.route("**/*", _local_only)
    page.goto(base + path)
    return page


def shoot(page: Page, path: Path) -> None:
    """A PNG of the page's sections, from the first section's top to the last one's end,
    as wide as the content column (the theme's sidebars left out)."""
    boxes = [box for box in (s.bounding_box() for s in page.locator(SECTIONS).all()) if box]
    if not boxes:
        raise LookupError(f"{page.url}: no {SECTIONS} to shoot")
    top = min(box["y"] for box in boxes) - 16
    bottom = max(box["y"] + box["height"] for box in boxes) + 16
    width = page.viewport_size["width"] if page.viewport_size else 1280
    left = max(0, min(box["x"] for box in boxes) - 16)
    right = min(width, max(box["x"] + box["width"] for box in boxes) + 16)
    page.set_viewport_size({"width": width, "height": int(bottom) + 32})
    page.screenshot(
        path=str(path), clip={"x": left, "y": top, "width": right - left, "height": bottom - top}
    )


def shot_name(look: str, width: int) -> str:
    """The file name of one screenshot, as the theming page links it."""
    return f"{look}-{width}.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp, chromium() as browser:
        for look in LOOKS:
            with serve(build_sample(look, Path(temp))) as base:
                for width in WIDTHS:
                    page = open_page(browser, base, width)
                    target = args.out / shot_name(look, width)
                    shoot(page, target)
                    page.close()
                    print(target)


if __name__ == "__main__":
    main()
