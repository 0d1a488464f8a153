"""Long lists fold: past `max_entries` the rest of a list sits in a `<details>` element.

A changelog cites thousands of works and a central page is linked from hundreds of places;
shown whole, their sections bury the page. Built here for real, with the shipped templates,
and the export checked to stay complete.
"""

from __future__ import annotations

from typing import Any

import pytest

CITES = 30
LINKERS = 25


def pages() -> dict[str, str]:
    """`notes.md` cites 30 works (27 of one site, 3 of another) and 25 pages link to it."""
    lines = ["# Notes", ""]
    for number in range(CITES):
        host = "forge.example.com" if number < CITES - 3 else "blog.example.net"
        lines.append(f"- Fixed item {number}, see [PR {number}](https://{host}/pr/{number}).")
    site = {"index.md": "# Home\n\nRead [the notes](notes.md).\n", "notes.md": "\n".join(lines)}
    for number in range(LINKERS - 1):
        site[f"l/p{number}.md"] = f"# P{number}\n\nItem {number} is in [the notes](../notes.md).\n"
    return site


@pytest.mark.slow
def test_default_folds_past_twenty(make_site: Any) -> None:
    site = make_site(pages())
    site.build()
    html = site.html("notes/index.html")
    # Works, sites in order: the 3 of blog.example.net and 17 of forge.example.com open, the
    # other 10 of forge.example.com folded.
    assert '<details class="backlinks-more"><summary>10 more</summary>' in html
    assert '<details class="backlinks-more"><summary>5 more</summary>' in html
    assert html.count("<details") == 2
    credits = html.split('id="backlinks-credits-title"')[1].split("</section>")[0]
    opened, folded = credits.split("<details")
    assert opened.count("https://blog.example.net/pr/") == 3
    assert opened.count("https://forge.example.com/pr/") == 17
    assert folded.count("forge.example.com</span>") == 1  # the split site is named again
    assert folded.count("https://forge.example.com/pr/") == 10
    assert "blog.example.net" not in folded
    incoming = html.split('id="backlinks-incoming-title"')[1].split("</section>")[0]
    opened, folded = incoming.split("<details")
    assert opened.count("backlinks-incoming__item") == 20
    assert folded.count("backlinks-incoming__item") == LINKERS - 20
    # The export keeps every link.
    graph = site.graph()["pages"]["notes.md"]
    assert len(graph["citations"]) == CITES
    assert len(graph["backlinks"]) == LINKERS


@pytest.mark.slow
def test_limit_and_label_are_options(make_site: Any) -> None:
    site = make_site(pages(), {"max_entries": 3, "strings": {"more_entries": "und {count} <mehr>"}})
    site.build()
    html = site.html("notes/index.html")
    assert "<summary>und 27 &lt;mehr&gt;</summary>" in html
    assert "<summary>und 22 &lt;mehr&gt;</summary>" in html
    unlimited = make_site(pages(), {"max_entries": 0})
    unlimited.build()
    html = unlimited.html("notes/index.html")
    assert "<details" not in html
    assert html.count("backlinks-incoming__item") == LINKERS
    assert html.count("/pr/") == 2 * CITES  # in the page and in the credits
