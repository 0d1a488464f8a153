"""The sections in the reader's language: real builds in Material (`theme.language`), the
mkdocs and readthedocs themes (`theme.locale`) and static-i18n's languages, with the
mentions' labels and what the user's `strings` set on top."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import MakeSite, Site

SITE_URL = "https://example.org/"
PAGES = {
    "index.md": "# Home\n\nRead the [guide](guide.md) and [the spec](https://example.com/spec).\n",
    "guide.md": "# Guide\n\nBack [home](index.md).\n",
}


def mention(wid: int, kind: str) -> dict[str, Any]:
    source = f"https://friend{wid}.example.net/notes/{wid}"
    return {
        "type": "entry",
        "wm-id": wid,
        "wm-source": source,
        "wm-target": SITE_URL,
        "wm-property": kind,
        "url": source,
        "author": {"type": "card", "name": f"Friend {wid}", "url": source},
        "published": "2024-02-01T09:00:00Z",
        "content": {"text": f"Note {wid}"},
    }


def site_in(make_site: MakeSite, theme: dict[str, Any], **options: Any) -> Site:
    """The two pages, with a reply and two likes on the home page from a local file."""
    site = make_site(
        PAGES,
        {"mentions": {"sources": [{"file": "mentions.json"}], "avatars": "none"}, **options},
        site_url=SITE_URL,
        site_author="Pat",  # a signed outreach note: no warning (#15)
        theme=theme,
    )
    entries = [mention(1, "in-reply-to"), mention(2, "like-of"), mention(3, "like-of")]
    feed = {"type": "feed", "children": entries}
    (site.root / "mentions.json").write_text(json.dumps(feed), encoding="utf-8")
    return site


GERMAN = (
    "Zitierte Quellen",
    "Seiten, die hierher verlinken",
    "Anderswo im Web",
    "hat geantwortet",
    "2 Likes",
)
FRENCH = ("Sources citées", "Pages qui renvoient ici", "Ailleurs sur le Web", "a répondu")
ENGLISH = ("Works cited", "Pages that link here", "Elsewhere on the web", "replied", "2 likes")


def test_material_in_german_shows_german_sections(make_site: MakeSite) -> None:
    site = site_in(make_site, {"name": "material", "language": "de"})
    site.build()
    page = site.html("index.html")
    for text in GERMAN:
        assert text in page
    assert "Works cited" not in page and "Pages that link here" not in page


@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs"])
def test_the_mkdocs_themes_locale_sets_the_language(make_site: MakeSite, theme: str) -> None:
    site = site_in(make_site, {"name": theme, "locale": "fr"})
    site.build()
    page = site.html("index.html")
    for text in FRENCH:
        assert text in page
    assert "Works cited" not in page


def test_brazilian_portuguese_has_its_own_words(make_site: MakeSite) -> None:
    site = site_in(make_site, {"name": "material", "language": "pt-BR"})
    site.build()
    page = site.html("index.html")
    assert "2 curtidas" in page  # pt-BR's own
    assert "Fontes citadas" in page  # from Portuguese


@pytest.mark.slow
def test_an_unknown_language_is_english_without_a_warning(make_site: MakeSite) -> None:
    # Material takes a language it does not ship from the site's own partial.
    site = site_in(make_site, {"name": "material", "language": "xx", "custom_dir": "overrides"})
    partial = site.root / "overrides" / "partials" / "languages" / "xx.html"
    partial.parent.mkdir(parents=True)
    partial.write_text("{% macro t(key) %}{% endmacro %}\n", encoding="utf-8")
    result = site.run_cli("--strict")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    page = site.html("index.html")
    for text in ENGLISH:
        assert text in page


def test_the_users_strings_win_over_the_language(make_site: MakeSite) -> None:
    site = site_in(
        make_site,
        {"name": "material", "language": "de"},
        strings={"credits_title": "Literatur", "replied": "schrieb zurück"},
    )
    site.build()
    page = site.html("index.html")
    assert "Literatur" in page and "schrieb zurück" in page
    assert "Zitierte Quellen" not in page and "hat geantwortet" not in page
    assert "Seiten, die hierher verlinken" in page and "2 Likes" in page


@pytest.mark.slow
def test_each_static_i18n_language_is_built_in_its_own_words(make_site: MakeSite) -> None:
    """static-i18n sets the theme's language in its `on_config`, after ours: each of its
    builds must still show its own language, not the one built before it."""
    i18n = {
        "i18n": {
            "docs_structure": "suffix",
            "languages": [
                {"locale": "en", "default": True, "name": "English"},
                {"locale": "de", "name": "Deutsch"},
                {"locale": "fr", "name": "Français"},
            ],
        }
    }
    site = make_site(
        {
            "index.md": "# Home\n\n[Guide](guide.md), [spec](https://example.com/spec).\n",
            "index.de.md": "# Start\n\n[Anleitung](guide.md), [Spez](https://example.com/spec).\n",
            "index.fr.md": "# Accueil\n\n[Guide](guide.md), [spéc](https://example.com/spec).\n",
            "guide.md": "# Guide\n\n[Home](index.md).\n",
            "guide.de.md": "# Anleitung\n\n[Start](index.md).\n",
            "guide.fr.md": "# Guide\n\n[Accueil](index.md).\n",
        },
        plugins=[i18n, {"backlinks": {"metadata": {"enabled": False}}}],
        theme={"name": "material", "language": "en"},
    )
    site.build()
    assert "Works cited" in site.html("index.html")
    assert "Pages that link here" in site.html("guide/index.html")
    assert "Zitierte Quellen" in site.html("de/index.html")
    assert "Seiten, die hierher verlinken" in site.html("de/guide/index.html")
    assert "Sources citées" in site.html("fr/index.html")
    assert "Pages qui renvoient ici" in site.html("fr/guide/index.html")
