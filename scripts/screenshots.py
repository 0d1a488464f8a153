"""Screenshots of the sections: the sample site built in four themes, shot in headless Chromium.

    python scripts/screenshots.py [--out docs/assets/screenshots]

Builds a copy of `sample_site/` (offline) with the mkdocs, readthedocs, Material and Material
slate themes, serves each on 127.0.0.1 and writes one PNG per theme and width of the sections
of `posts/webmentions-101/` (credits, backlinks, mentions). Needs playwright and Debian's
chromium at /usr/bin/chromium, as the browser tests do.
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
from typing import Any

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
THEMES: dict[str, dict[str, Any]] = {
    "mkdocs": {"name": "mkdocs"},
    "readthedocs": {"name": "readthedocs"},
    # font: false, so no request leaves the machine for Google Fonts.
    "material": {"name": "material", "font": False},
    "material-slate": {"name": "material", "font": False, "palette": {"scheme": "slate"}},
}
PAGE = "posts/webmentions-101/"
WIDTHS = (1280, 375)


def build_sample(theme: str, parent: Path) -> Path:
    """Build a fresh copy of the sample in `parent` with `theme`; its site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    root = parent / theme
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("site", "outreach.*", ".cache"))
    os.environ["MKDOCS_BACKLINKS_OFFLINE"] = "1"
    config = load_config(str(root / "mkdocs.yml"), theme=THEMES[theme])
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()
    return root / "site"


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


def shoot(page: Any, path: Path) -> None:
    """A PNG of the page's sections, from the first section's top to the last one's end."""
    boxes = [
        page.locator(selector).bounding_box()
        for selector in ("section.backlinks-credits", "section.backlinks-incoming")
    ]
    found = [box for box in boxes if box]
    top = min(box["y"] for box in found) - 16
    bottom = max(box["y"] + box["height"] for box in found) + 16
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": int(bottom) + 32})
    page.screenshot(path=str(path), clip={"x": 0, "y": top, "width": width, "height": bottom - top})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        for theme in THEMES:
            site = build_sample(theme, Path(temp))
            with serve(site) as base:
                for width in WIDTHS:
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    page.goto(base + PAGE)
                    target = args.out / f"{theme}-{width}.png"
                    shoot(page, target)
                    page.close()
                    print(target)
        browser.close()


if __name__ == "__main__":
    main()
