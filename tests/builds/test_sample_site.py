"""The sample site builds offline with --strict and shows every feature."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import copy_sample, run_offline


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_sample(tmp_path_factory.mktemp("sample"))
    result = run_offline(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml")]
    )
    assert result.returncode == 0, result.stderr
    assert "notes to send" in result.stderr
    return root


@pytest.mark.slow
def test_every_page_has_its_sections(built: Path) -> None:
    page = (built / "site" / "posts" / "webmentions-101" / "index.html").read_text()
    assert 'class="backlinks backlinks-credits"' in page
    assert 'class="backlinks backlinks-incoming"' in page
    assert "(cited 2 times)" in page  # the W3C spec is linked twice


def test_placeholder_and_front_matter_switch(built: Path) -> None:
    tell = (built / "site" / "posts" / "tell-them-you-mentioned-them" / "index.html").read_text()
    # the placeholder sits before the "Further reading" paragraph, so the sections come first
    assert tell.index('<section class="backlinks backlinks-credits"') < tell.index(
        'id="further-reading"'
    )
    colophon = (built / "site" / "colophon" / "index.html").read_text()
    assert "backlinks-credits" not in colophon and "backlinks-incoming" not in colophon


def test_graph_export_has_tricky_links(built: Path) -> None:
    graph = json.loads((built / "site" / "backlinks.json").read_text())
    pages = graph["pages"]
    assert len(pages) >= 8
    sources = {
        link["source"] for link in pages["field notes/a-year-of-webmentions.md"]["backlinks"]
    }
    assert sources  # reached through the folder with a space in its name
    hrefs = [c["href"] for p in pages.values() for c in p["citations"]]
    assert not any("example.com/code" in href for href in hrefs)  # code is not a link
    assert not any(href.startswith("mailto:") for href in hrefs)


def test_outreach_list_keeps_what_was_marked(built: Path) -> None:
    report = json.loads((built / "backlinks" / "outreach.json").read_text())
    status = {row["id"]: row["status"] for row in report["contacts"]}
    assert status["w3.org"] == "sent"
    assert status["daringfireball.net"] == "skipped"
    assert "new" in status.values()
    note = next(row for row in report["contacts"] if row["status"] == "new")["note"]["body"]
    assert "Robin Ashe" in note and "https://robin.example.org/blog/" in note
    for name in ("outreach.md", "outreach.csv", "outreach.html"):
        assert (built / "backlinks" / name).stat().st_size > 0


def test_a_page_shows_replies_likes_and_reposts_from_the_local_file(built: Path) -> None:
    page = (built / "site" / "posts" / "webmentions-101" / "index.html").read_text()
    section = page[page.index('class="backlinks backlinks-incoming"') :].split("</section>")[0]
    assert "Elsewhere on the web" in section
    assert section.count("backlinks-mention--reply") == 2
    assert "Mina Okafor" in section and "replied" in section
    assert "4 likes" in section and "2 reposts" in section and "1 bookmark<" in section
    # Matched across variants: http + www. + fragment, and index.html.
    assert "Receiving webmentions on a static site" in section
    assert "Do you moderate them" in section
    assert 'rel="nofollow ugc noopener"' in section and "<img" not in section  # avatars: none
    # The old domain (an alias) reaches the page under site_url.
    thanks = (built / "site" / "posts" / "saying-thank-you" / "index.html").read_text()
    assert "Two of five wrote back" in thanks
    # The mention of a page that does not exist is stored but shown nowhere.
    store = json.loads((built / "backlinks" / "mentions.json").read_text())
    assert "1260" in store["mentions"]
    assert not any("never published" in p.read_text() for p in (built / "site").rglob("*.html"))


def test_cited_works_show_titles_and_authors_offline(built: Path) -> None:
    page = (built / "site" / "posts" / "webmentions-101" / "index.html").read_text()
    credits = page[  # the sections, not their entries in the table of contents
        page.index('<section class="backlinks backlinks-credits"') : page.index(
            '<section class="backlinks backlinks-incoming"'
        )
    ]
    assert '<a href="https://www.w3.org/TR/webmention/">Webmention</a>' in credits
    assert 'rel="author noopener">Aaron Parecki</a>' in credits
    assert "backlinks-credits__work--" not in credits  # nothing is broken in the sample


def test_outreach_list_shows_contact_routes(built: Path) -> None:
    report = json.loads((built / "backlinks" / "outreach.json").read_text())
    best = {row["id"]: row["best_route"] for row in report["contacts"]}
    assert best["adactio.com"] == {"kind": "webmention", "url": "https://adactio.com/webmention"}
    assert best["jvns.ca"]["kind"] == "profile"
    assert (
        "Best route: webmention <https://adactio.com/webmention>"
        in (built / "backlinks" / "outreach.md").read_text()
    )
    # Offline: nothing was fetched, so no metadata cache was made.
    assert not (built / ".cache" / "backlinks" / "metadata.json").exists()
