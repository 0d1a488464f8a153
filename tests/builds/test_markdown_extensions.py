"""Real builds with the Markdown extensions that stash HTML: what the collector records must
read as the page does, with no placeholder, control character or doubled escape in it."""

from __future__ import annotations

import re

EXTENSIONS = [
    "pymdownx.highlight", "pymdownx.inlinehilite", "pymdownx.superfences", "pymdownx.keys",
    "pymdownx.arithmatex", "pymdownx.emoji", "pymdownx.critic", "pymdownx.tasklist",
    "pymdownx.magiclink", "pymdownx.caret", "pymdownx.mark", "pymdownx.tilde",
    "pymdownx.smartsymbols", "pymdownx.details", "pymdownx.tabbed", "footnotes", "abbr",
    "md_in_html", "toc", "attr_list",
]  # fmt: skip

PAGE = """\
# Home

A1 The [`blog_dir`](other.md) option.

A2 The [`#!python print(1)`](other.md) hilite.

A3 Press [++ctrl+alt+del++](other.md) now.

A4 Math [$E=mc^2$](other.md) here.

A6 Critic [{++added++} text](other.md) here.

A8 Smart [(c) --> 1/2](other.md) symbols.

A9 Footnote[^1] then [link](other.md) text.

A11 Code with entity [`<details>` and `a & b`](other.md) here.

- [ ] A13 task [item](other.md) here.

A17 inline `code` before [link](other.md) after.

<div markdown>
A19 in md_in_html [inner](other.md) `code` here.
</div>

A20 Write `a & b` then [see](other.md).

[^1]: Note with [fn link](other.md) and `code`.

*[HTML]: Hyper Text
"""

EXPECTED = {
    "blog_dir": "A1 The blog_dir option.",
    "print(1)": "A2 The print(1) hilite.",
    "Ctrl+Alt+Del": "A3 Press Ctrl+Alt+Del now.",
    "E=mc^2": "A4 Math E=mc^2 here.",
    "added text": "A6 Critic added text here.",
    "\u00a9 \u2192 \u00bd": "A8 Smart \u00a9 \u2192 \u00bd symbols.",
    "<details> and a & b": "A11 Code with entity <details> and a & b here.",
    "item": "A13 task item here.",
    "fn link": "Note with fn link and code.",
    "inner": "A19 in md_in_html inner code here.",
    "see": "A20 Write a & b then see.",
}

_LEAK = re.compile(r"[\x00-\x08\x0b-\x1f]|wzxhzdk|klzzwxh|czjqqkd|&(?:amp|lt|gt);")


def test_stashing_extensions_leave_no_placeholder_or_escape(make_site):
    site = make_site(
        {"index.md": PAGE, "other.md": "# Other\n"},
        site_url="https://example.org/",
        markdown_extensions=EXTENSIONS,
    )
    site.build()
    links = site.graph()["pages"]["index.md"]["links"]
    for link in links:
        assert not _LEAK.search(link["text"] + link["context"]), link
    found = {link["text"]: link["context"] for link in links}
    for text, context in EXPECTED.items():
        assert found.get(text) == context, (text, found)
    # A17: the code span before the link is read, not its placeholder.
    assert "A17 inline code before link after." in found.values()


def test_code_with_markup_is_escaped_once_on_the_page(make_site):
    site = make_site(
        {"index.md": "Use [`<details>`](other.md) for folding.\n", "other.md": "# Other\n"},
        site_url="https://example.org/",
    )
    site.build()
    html = site.html("other/index.html")
    assert "Use &lt;details&gt; for folding." in html
    assert "&amp;lt;" not in html
