"""The plugins real sites combine with ours, built together and checked against a truth written
by hand.

`combined_site/main` holds Material (blog, tags, search), awesome-pages, include-markdown,
macros, redirects, mkdocstrings with autorefs, git-revision-date-localized, minify and the
pymdownx extensions; `combined_site/i18n` holds mkdocs-static-i18n, which cannot build Material's
blog (it swaps the file list after the blog has hidden its posts), with awesome-pages, macros and
minify. Each folder's `truth.json` says what every export must contain; it was written by reading
the Markdown, so a defect anywhere in the chain (a dropped page, a lost link, a wrong section)
shows as a difference. Material's social plugin runs offline: it downloads its font from Google
Fonts unless its cache holds it, so the test puts the system's DejaVu Sans there (CI installs
fonts-dejavu-core and cairo; the test extras install Material's `imaging` extra).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OFFLINE, Site

SITES = Path(__file__).resolve().parent / "combined_site"
LEAKS = ("\x02", "\x03", "wzxhzdk")
"""Python-Markdown's placeholder markers: never in what a reader or a tool gets."""
INCOMING = re.compile(r"<section[^>]*backlinks-incoming.*?</section>", re.S)
FONTS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
"""Where Debian and Fedora put DejaVu Sans, the font the social cards are drawn with."""

Row = tuple[str, ...]


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    yield


def built(name: str, tmp_path: Path, directory_urls: bool, monkeypatch: pytest.MonkeyPatch) -> Site:
    """A copy of `combined_site/<name>` in a git repository (for the revision dates), built
    from its own folder as `mkdocs build` is (pymdownx.snippets' `base_path` is relative to it)."""
    root = tmp_path / name
    shutil.copytree(SITES / name, root, ignore=shutil.ignore_patterns("site", "backlinks"))
    if name == "main":
        cache_fonts(root / ".cache/plugin/social/fonts/DejaVu Sans")
    if shutil.which("git"):
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org"}
        env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "site"]):
            subprocess.run(["git", *command], cwd=root, env=env, check=True)
    monkeypatch.chdir(root)
    site = Site(root)
    site.build(use_directory_urls=directory_urls)
    return site


def cache_fonts(folder: Path) -> None:
    """Put DejaVu Sans where Material's social plugin looks before it downloads a font."""
    found = next((path for path in FONTS if (path / "DejaVuSans.ttf").is_file()), None)
    assert found is not None, "DejaVu Sans is missing: install fonts-dejavu-core"
    folder.mkdir(parents=True)
    shutil.copy(found / "DejaVuSans.ttf", folder / "Regular.ttf")
    shutil.copy(found / "DejaVuSans-Bold.ttf", folder / "Bold.ttf")


def truth(name: str) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((SITES / name / "truth.json").read_text("utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def links(rows: list[dict[str, Any]]) -> list[Row]:
    return sorted((row["target"], row["anchor"], row["section"]) for row in rows)


def citations(rows: list[dict[str, Any]]) -> list[Row]:
    return sorted((row["target"], row["section"]) for row in rows)


def expected_backlinks(pages: dict[str, Any]) -> dict[str, list[Row]]:
    """Every page's backlinks, read off the truth's links from their other end."""
    found: dict[str, list[Row]] = {src: [] for src in pages}
    for src, page in pages.items():
        for row in page["links"]:
            found[row["target"]].append((src, row["anchor"], row["section"]))
    return {src: sorted(rows) for src, rows in found.items()}


def wording_differences(
    src: str, wanted: list[dict[str, Any]], got: list[dict[str, Any]]
) -> list[str]:
    """Texts and sentences the truth gives that no exported row with the same ends carries."""
    missing = []
    for row in wanted:
        keys = {key: row[key] for key in ("target", "anchor", "section") if key in row}
        candidates = [have for have in got if all(have.get(k) == v for k, v in keys.items())]
        said = {key: row[key] for key in ("text", "context") if key in row}
        if not any(all(have.get(k) == v for k, v in said.items()) for have in candidates):
            missing.append(f"{src}: {row} not in {candidates}")
    return missing


def compare(site: Site, name: str, directory_urls: bool) -> list[str]:
    """Every difference between the site's exports and its truth, as readable lines."""
    problems = []
    for export, pages in truth(name).items():
        if not (site.site_dir / export).is_file():
            problems.append(f"{export}: not written")
            continue
        graph = site.graph(export)
        got_pages: dict[str, Any] = graph["pages"]
        if sorted(got_pages) != sorted(pages):
            problems.append(f"{export}: pages {sorted(got_pages)} != {sorted(pages)}")
        backlinks = expected_backlinks(pages)
        for src, page in pages.items():
            have = got_pages.get(src)
            if have is None:
                continue
            url = page["url"][0 if directory_urls else 1]
            checks: list[tuple[str, Any, Any]] = [
                ("url", have["url"], url),
                ("absolute_url", have["absolute_url"], graph["site_url"] + url),
                ("title", have["title"], page["title"]),
                ("links", links(have["links"]), links(page["links"])),
                ("citations", citations(have["citations"]), citations(page["citations"])),
                ("backlinks", sorted(
                    (b["source"], b["anchor"], b["section"]) for b in have["backlinks"]
                ), backlinks[src]),
            ]  # fmt: skip
            for field, got, wanted in checks:
                if got != wanted:
                    problems.append(f"{export} {src} {field}:\n  got    {got}\n  wanted {wanted}")
            problems += wording_differences(src, page["links"], have["links"])
            problems += wording_differences(src, page["citations"], have["citations"])
    return problems


def leaks(site: Site) -> list[str]:
    """Files of the built site holding a placeholder marker."""
    found = []
    for path in sorted(site.site_dir.rglob("*")):
        if path.suffix in {".html", ".json", ".xml", ".js"} and path.is_file():
            text = path.read_text("utf-8", errors="replace")
            found += [
                f"{path.relative_to(site.site_dir)}: {leak!r}" for leak in LEAKS if leak in text
            ]
    return found


def incoming(site: Site, path: str) -> str:
    """The 'Pages that link here' section of a built page, or '' when it has none."""
    match = INCOMING.search(site.html(path))
    return match.group(0) if match else ""


def page_file(url: str) -> str:
    return url + "index.html" if url == "" or url.endswith("/") else url


@pytest.mark.slow
@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_material_blog_and_friends_match_the_truth(
    tmp_path: Path, directory_urls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = built("main", tmp_path, directory_urls, monkeypatch)
    problems = compare(site, "main", directory_urls)
    problems += leaks(site)
    pages = truth("main")["backlinks.json"]
    # A post shows the pages that link to it.
    first = incoming(site, page_file(pages["blog/posts/first.md"]["url"][not directory_urls]))
    if not ("Home" in first and "Second post" in first):
        problems.append(f"the first post's section lacks Home or Second post: {first!r}")
    # The blog's own pages (index, archive, category, pagination) carry no section: the index
    # lists posts after its content, the others only repeat excerpts.
    posts = {page_file(pages[src]["url"][not directory_urls]) for src in pages if "/posts/" in src}
    for path in sorted(site.site_dir.joinpath("blog").rglob("*.html")):
        relative = path.relative_to(site.site_dir).as_posix()
        if relative not in posts and "backlinks-" in path.read_text("utf-8"):
            problems.append(f"a section on the blog's page {relative}")
    # Material's social plugin drew a card for every page, posts included, and the page says so.
    for src, page in pages.items():
        built_file = page_file(page["url"][not directory_urls])
        # Material's naming: the page's file, its `/index.html` (`.html` for an index page).
        index = src == "index.md" or src.endswith("/index.md")
        suffix = "/index.html" if directory_urls and not index else ".html"
        card = "assets/images/social/" + built_file.replace(suffix, ".png")
        if not (site.site_dir / card).is_file():
            problems.append(f"no social card {card} for {src}")
    if "og:image content=https://example.org/docs/assets/images/social/" not in site.html(
        "index.html"
    ):
        problems.append("the home page does not name its social card")
    # A redirect stub is no page and gets none.
    old = "old/index.html" if directory_urls else "old.html"
    if "backlinks-" in site.html(old):
        problems.append("a section on the redirect stub")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("directory_urls", [True, False], ids=["directory-urls", "file-urls"])
def test_each_language_links_within_itself(
    tmp_path: Path, directory_urls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = built("i18n", tmp_path, directory_urls, monkeypatch)
    problems = compare(site, "i18n", directory_urls) + leaks(site)
    guide_fr = incoming(site, "fr/guide/index.html" if directory_urls else "fr/guide.html")
    guide_en = incoming(site, "guide/index.html" if directory_urls else "guide.html")
    if "Accueil" not in guide_fr or "Home" in guide_fr:
        problems.append(f"fr/guide's section is not the French pages': {guide_fr!r}")
    if "Home" not in guide_en or "Accueil" in guide_en:
        problems.append(f"guide's section is not the English pages': {guide_en!r}")
    assert not problems, "\n".join(problems)
