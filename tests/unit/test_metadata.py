"""Unit tests for `mkdocs_backlinks.works.extract`: what a cited page says about itself.

Each fixture is the kind of page the plugin meets when it fetches a cited work: an IndieWeb
post, a news article with only Open Graph, a bare page, and hostile markup. Markup is written
raw on purpose: odd and broken HTML is the input under test. The network tripwire makes any
socket raise, so a parser that tried to fetch would fail the test instead of going online.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from typing import Any

import mf2py
import pytest

from mkdocs_backlinks.works.authorship import Author
from mkdocs_backlinks.works.clean import DESCRIPTION_LIMIT, TITLE_LIMIT
from mkdocs_backlinks.works.extract import Contacts, PageMetadata, extract_metadata, find_author

ELLIPSIS = "\u2026"


class NetworkUsed(Exception):
    """Raised by the tripwire socket: something tried to open a connection."""


@pytest.fixture
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Make every new socket raise, and record the attempts.

    This is no mock of `requests`: nothing answers. It only proves that nobody asked.
    """
    attempts: list[tuple[Any, ...]] = []

    class Tripwire:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            attempts.append(args)
            raise NetworkUsed("a socket was opened")

    monkeypatch.setattr(socket, "socket", Tripwire)
    yield attempts


# --------------------------------------------------------------------------- realistic pages

INDIEWEB_POST = """<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>On window boxes · Jane Doe</title>
  <link rel="canonical" href="/2024/05/window-boxes">
  <link rel="me" href="https://github.com/janedoe">
  <link rel="webmention" href="/webmention">
  <meta property="og:title" content="On window boxes (Open Graph)">
  <meta property="og:site_name" content="Jane's notebook">
  <meta name="description" content="Growing herbs on a north-facing sill.">
</head>
<body>
  <header><a href="/">Jane's notebook</a></header>
  <article class="h-entry">
    <h1 class="p-name">On   window
      boxes</h1>
    <p>By <span class="p-author h-card">
      <img class="u-photo" src="/photo.jpg" alt="">
      <a class="p-name u-url" href="https://jane.example/">Jane Doe</a>
      (<a class="u-email" href="mailto:jane@jane.example?subject=Hello">write</a>)
    </span>
    on <time class="dt-published" datetime="2024-05-01T09:00:00Z">1 May</time></p>
    <a class="u-url" href="/2024/05/window-boxes">permalink</a>
    <div class="e-content"><p>Basil hates draughts.</p></div>
  </article>
  <footer>
    <a rel="me" href="https://social.example/@jane">Mastodon</a>
    <a rel="me" href="https://github.com/janedoe/">GitHub again</a>
    <a rel="me" href="mailto:Jane@Jane.Example">E-mail</a>
    <a rel="me" href="javascript:alert('me')">Sneaky</a>
    <a rel="me" href="mailto:jane@jane.example">E-mail again</a>
  </footer>
</body>
</html>
"""


def test_indieweb_post_reads_entry_author_and_rel_me() -> None:
    metadata = extract_metadata(
        INDIEWEB_POST,
        "https://jane.example/2024/05/window-boxes",
        ['<https://jane.example/webmention>; rel="webmention", <https://keybase.io/jane>; rel=me'],
    )
    assert metadata == PageMetadata(
        canonical_url="https://jane.example/2024/05/window-boxes",
        title="On window boxes",
        site_name="Jane's notebook",
        author=Author(
            name="Jane Doe",
            url="https://jane.example/",
            photo="https://jane.example/photo.jpg",
            email="jane@jane.example",
        ),
        contacts=Contacts(
            emails=("jane@jane.example",),
            profiles=(
                "https://github.com/janedoe",
                "https://social.example/@jane",
                "https://keybase.io/jane",
            ),
        ),
        description="Growing herbs on a north-facing sill.",
        lang="en-GB",
    )


NEWS_ARTICLE = """<!DOCTYPE html>
<html lang="fr">
<head>
<title>Des abeilles en ville | Le Quotidien</title>
<meta property="og:type" content="article">
<meta property="og:title" content="Des abeilles   en ville">
<meta property="og:site_name" content="Le Quotidien">
<meta property="og:description" content="Les ruches urbaines se multiplient.">
<meta name="description" content="Version courte.">
<meta name="twitter:title" content="Abeilles (Twitter)">
<meta property="article:author" content="https://www.lequotidien.example/auteurs/marie-curie">
<meta property="og:image" content="https://cdn.lequotidien.example/abeilles.jpg">
</head>
<body><div class="article-body"><p>Texte.</p></div></body>
</html>
"""


def test_news_article_with_only_open_graph() -> None:
    metadata = extract_metadata(NEWS_ARTICLE, "https://www.lequotidien.example/2024/abeilles")
    assert metadata == PageMetadata(
        canonical_url=None,
        title="Des abeilles en ville",
        site_name="Le Quotidien",
        author=Author(url="https://www.lequotidien.example/auteurs/marie-curie"),
        contacts=Contacts(),
        description="Les ruches urbaines se multiplient.",
        lang="fr",
    )


PLAIN_PAGE = """<html>
<head>
<title>
    Notes on   C
    pointers
</title>
<meta name="author" content="Dennis  R.">
<meta name="application-name" content="Dennis's pages">
</head>
<body><h1>Pointers</h1></body>
</html>
"""


def test_plain_page_with_title_and_meta_author() -> None:
    assert extract_metadata(PLAIN_PAGE, "http://old.example/~dennis/pointers.html") == (
        PageMetadata(
            title="Notes on C pointers",
            site_name="Dennis's pages",
            author=Author(name="Dennis R."),
        )
    )


REL_AUTHOR_PAGE = """<!doctype html>
<html><head><title>Release notes 2.0</title></head>
<body>
<main>
  <h1>Release notes 2.0</h1>
  <p>Written by <a rel="author" href="/about/">Sam</a>.</p>
</main>
<aside class="h-card">
  <img class="u-photo" src="https://cdn.sam.example/sam.png" alt="Sam's face">
  <a class="u-url p-name" href="https://sam.example/about/">Sam Smith</a>
  <a class="u-email" href="mailto:sam@sam.example">sam@sam.example</a>
</aside>
<aside class="h-card">
  <a class="u-url p-name" href="https://other.example/">Someone Else</a>
</aside>
</body></html>
"""


def test_rel_author_names_an_h_card_elsewhere_on_the_page() -> None:
    metadata = extract_metadata(REL_AUTHOR_PAGE, "https://sam.example/notes/2-0")
    assert metadata.author == Author(
        name="Sam Smith",
        url="https://sam.example/about/",
        photo="https://cdn.sam.example/sam.png",
        email="sam@sam.example",
    )
    assert metadata.contacts == Contacts(emails=("sam@sam.example",))
    assert metadata.title == "Release notes 2.0"


def test_a_thin_author_card_is_filled_from_the_footer_card_for_the_same_url() -> None:
    html = """
    <article class="h-entry"><h1 class="p-name">Post</h1><div class="e-content">x</div>
      by <a class="p-author h-card" href="http://www.lin.example">Lin</a></article>
    <footer class="h-card">
      <a class="p-name u-url" href="https://lin.example/">Lin Wu (full name)</a>
      <img class="u-photo" src="/lin.png" alt="">
      <a class="u-email" href="mailto:lin@lin.example">mail</a>
      <a class="u-email" href="mailto:press@lin.example">press</a>
    </footer>
    """
    metadata = extract_metadata(html, "https://lin.example/post")
    # Scheme, "www." and the trailing slash do not make it another person; the post's own
    # card keeps its name and URL, the footer card fills the gaps.
    assert metadata.author == Author(
        name="Lin",
        url="http://www.lin.example",
        photo="https://lin.example/lin.png",
        email="lin@lin.example",
    )
    assert metadata.contacts.emails == ("lin@lin.example", "press@lin.example")


def test_rel_author_with_no_card_gives_the_url() -> None:
    html = '<title>x</title><a rel="author" href="/people/ann">Ann</a>'
    metadata = extract_metadata(html, "https://team.example/post")
    assert metadata.author == Author(url="https://team.example/people/ann")


def test_rel_author_from_a_link_header() -> None:
    metadata = extract_metadata("<title>x</title>", "https://a.example/p", ["</bob>; rel=author"])
    assert metadata.author == Author(url="https://a.example/bob")


def test_h_entry_author_as_a_plain_string() -> None:
    html = """
    <meta name="author" content="Someone From Meta">
    <article class="h-entry">
      <h1 class="p-name">A short note on naming</h1>
      <span class="p-author">Alex   Example</span>
      <div class="e-content">Names are hard.</div>
    </article>
    <a rel="author" href="/alex">profile</a>
    """
    metadata = extract_metadata(html, "https://notes.example/naming")
    # A string author ends the algorithm: it is the name; the rel=author link is not followed.
    assert metadata.author == Author(name="Alex Example")
    assert metadata.title == "A short note on naming"


def test_h_entry_author_as_a_url_matching_an_h_card() -> None:
    html = """
    <header class="h-card">
      <a class="u-url u-uid p-name" href="/">Kim Lee</a>
      <img class="u-photo" src="/kim.jpg" alt="">
    </header>
    <article class="h-entry">
      <div class="e-content">Just a note, no title.</div>
      <a class="u-author" href="/"></a>
      <a class="u-url" href="/notes/7">#</a>
    </article>
    """
    metadata = extract_metadata(html, "https://kim.example/notes/7")
    assert metadata.author == Author(
        name="Kim Lee", url="https://kim.example/", photo="https://kim.example/kim.jpg"
    )


def test_h_entry_author_as_a_url_without_a_card_takes_the_meta_name() -> None:
    html = """
    <meta name="author" content="Lou Reed">
    <div class="h-entry"><a class="u-author" href="https://lou.example/">.</a>
    <p class="e-content">x</p></div>
    """
    assert extract_metadata(html, "https://lou.example/x").author == Author(
        name="Lou Reed", url="https://lou.example/"
    )


@pytest.mark.parametrize(
    ("html", "name"),
    [
        ('<meta name="author" content="by Jane Doe">', "Jane Doe"),
        (
            '<meta name="author" content="None"><meta property="article:author" content="Posted'
            ' by Ann Lee">',
            "Ann Lee",
        ),
        (
            '<div class="h-entry"><span class="p-author h-card">\u2014 Kim Lee</span>'
            '<p class="e-content">x</p></div>',
            "Kim Lee",
        ),
        ('<div class="h-entry"><span class="p-author">by Sam Roe</span></div>', "Sam Roe"),
        ('<meta name="author" content="{{ author }}">', None),
    ],
)
def test_a_byline_is_read_as_the_name_alone(html: str, name: str | None) -> None:
    """Pages put their byline in the author fields ("by Jane Doe", "Posted by ..."), or a
    template's unfilled placeholder: the notes greeted "Hi by," and "Hi {{,"."""
    author = extract_metadata(html, "https://x.example/p").author
    assert (author.name if author else None) == name


def test_author_page_that_is_this_page_prefers_the_rel_me_card() -> None:
    # Authorship spec step 6: on the author's page, an h-card whose url is one of the page's
    # rel=me links beats one that merely links to the page.
    html = """
    <div class="h-entry"><div class="e-content">Hello from my one-page site.</div>
      <a class="u-author" href="/"></a></div>
    <div class="h-card"><a class="p-name u-url" href="/">Guestbook widget</a></div>
    <div class="h-card"><a class="p-name u-url" href="https://social.example/@solo">Solo</a></div>
    <a rel="me" href="https://social.example/@solo">me</a>
    """
    assert extract_metadata(html, "https://solo.example/").author == Author(
        name="Solo", url="https://social.example/@solo"
    )


def test_representative_h_card_by_rel_me_when_there_is_no_entry() -> None:
    html = """
    <title>Pat's projects</title>
    <div class="h-card"><a class="p-name u-url" href="https://other.example/">Not Pat</a></div>
    <div class="h-card">
      <a class="p-name u-url" href="https://pat.example/">Pat Q</a>
      <a class="u-email" href="mailto:pat@pat.example">mail</a>
    </div>
    <a rel="me" href="https://pat.example/">home</a>
    """
    metadata = extract_metadata(html, "https://pat.example/projects/")
    assert metadata.author == Author(
        name="Pat Q", url="https://pat.example/", email="pat@pat.example"
    )
    assert metadata.contacts == Contacts(
        emails=("pat@pat.example",), profiles=("https://pat.example/",)
    )


def test_representative_h_card_by_url_and_uid() -> None:
    html = """
    <div class="h-card"><a class="p-name u-url" href="https://x.example/">First</a></div>
    <div class="h-card"><a class="p-name u-url u-uid" href="/">Owner</a></div>
    """
    assert extract_metadata(html, "https://owner.example/").author == Author(
        name="Owner", url="https://owner.example/"
    )


def test_a_lone_h_card_about_another_page_is_not_the_author() -> None:
    html = '<div class="h-card"><a class="p-name u-url" href="https://x.example/">X</a></div>'
    assert extract_metadata(html, "https://owner.example/").author is None


def test_the_entry_naming_the_page_wins_over_the_first() -> None:
    html = """
    <div class="h-entry"><a class="p-name u-url" href="/related">Related post</a></div>
    <div class="h-entry"><h1 class="p-name">This post</h1>
      <a class="u-url" href="http://www.blog.example/this/">#</a>
      <span class="p-author">Me</span></div>
    """
    metadata = extract_metadata(html, "https://blog.example/this?utm_source=feed")
    assert (metadata.title, metadata.author) == ("This post", Author(name="Me"))


def test_an_entry_in_a_feed_inherits_the_feed_author() -> None:
    html = """
    <div class="h-feed"><span class="p-author h-card">Feed Owner</span>
      <div class="h-entry"><a class="p-name u-url" href="/one">One</a></div>
      <div class="h-entry"><a class="p-name u-url" href="/two">Two</a></div>
    </div>
    """
    on_entry = extract_metadata(html, "https://f.example/two")
    assert (on_entry.title, on_entry.author) == ("Two", Author(name="Feed Owner"))
    # On the feed page itself no entry is the page: the title is not the first post's.
    assert extract_metadata(html, "https://f.example/").title is None


def test_a_note_has_no_title_of_its_own() -> None:
    html = """
    <title>Note - Bo's site</title>
    <div class="h-entry"><p class="p-name e-content">Had a great   coffee today.</p></div>
    """
    assert extract_metadata(html, "https://bo.example/n/1").title == "Note - Bo's site"


def test_a_heading_inside_the_content_is_still_the_title() -> None:
    html = """
    <title>Tag title</title>
    <div class="h-entry"><div class="e-content"><h1 class="p-name">Heading</h1><p>Body.</p>
    </div></div>
    """
    assert extract_metadata(html, "https://bo.example/p").title == "Heading"


def test_a_name_that_is_the_notes_opening_words_is_not_a_title() -> None:
    words = " ".join(["coffee"] * 30)
    html = f"""
    <title>Tag title</title>
    <div class="h-entry"><p class="p-name">{words}</p>
    <div class="e-content">{words} and more words after them.</div></div>
    """
    assert extract_metadata(html, "https://bo.example/p").title == "Tag title"


def test_an_implied_entry_name_is_not_a_title() -> None:
    # No p- or e- property: mf2 implies the name from all the entry's text.
    words = " ".join(["word"] * 100)
    html = f"""
    <meta property="og:title" content="The real title">
    <div class="h-entry"><a class="u-url" href="/p">{words}</a></div>
    """
    assert extract_metadata(html, "https://w.example/p").title == "The real title"


def test_title_falls_back_in_order() -> None:
    base = "https://t.example/"
    both = '<meta name="twitter:title" content="Twitter"><title>Tag</title>'
    assert extract_metadata(both, base).title == "Twitter"
    assert extract_metadata("<title>Tag</title>", base).title == "Tag"
    empty_og = '<meta property="og:title" content="  "><title>Tag</title>'
    assert extract_metadata(empty_og, base).title == "Tag"
    # An SVG drawing's <title> is not the document's.
    svg = "<body><svg><title>Icon</title></svg><p>x</p></body>"
    assert extract_metadata(svg, base).title is None


def test_site_name_and_description_fall_back() -> None:
    html = """<meta name="og:site_name" content="Written with name="><meta
    name="description" content="Plain description">"""
    metadata = extract_metadata(html, "https://d.example/")
    assert (metadata.site_name, metadata.description) == (
        "Written with name=",
        "Plain description",
    )


def test_article_author_that_is_a_name() -> None:
    html = '<meta property="article:author" content="Ruth  Bader">'
    assert extract_metadata(html, "https://n.example/").author == Author(name="Ruth Bader")


# --------------------------------------------------------------------------- canonical, Link


def test_canonical_on_another_site_is_kept() -> None:
    html = '<link rel="canonical" href="https://original.example/post">'
    metadata = extract_metadata(html, "https://mirror.example/copy")
    assert metadata.canonical_url == "https://original.example/post"


def test_canonical_only_counts_on_link_elements() -> None:
    html = '<a rel="canonical" href="https://elsewhere.example/">x</a>'
    assert extract_metadata(html, "https://a.example/").canonical_url is None


def test_canonical_from_link_header_when_the_html_has_none() -> None:
    headers = [
        '<https://a.example/x,y>; title="a, b; c"; rel="preload canonical", </z>; rel=next',
        "garbage without brackets, <broken",
    ]
    metadata = extract_metadata("<p>hi</p>", "https://a.example/page", headers)
    assert metadata.canonical_url == "https://a.example/x,y"
    html = '<link rel="canonical" href="/from-html">'
    assert extract_metadata(html, "https://a.example/p", headers).canonical_url == (
        "https://a.example/from-html"
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        ",,,,",
        "<",
        ">; rel=me",
        '<https://a.example/>; rel="me',
        "<https://a.example/>; rel",
        '<https://a.example/>; rel=""; rel="me"',  # only the first rel counts
        "<javascript:alert(1)>; rel=me",
        "<data:text/html,hi>; rel=me",
        "<" * 50_000,
        '<a>; x="' * 10_000,
    ],
)
def test_malformed_link_headers_add_nothing(header: str) -> None:
    metadata = extract_metadata("<title>T</title>", "https://a.example/", [header])
    assert metadata == PageMetadata(title="T")


def test_link_headers_are_read_as_discovery_reads_them() -> None:
    """RFC 8288 as `link_header` parses it: an unquoted `rel=me author` holds both, a line
    stops at garbage (its later links are not believed), UTF-8 as servers send it."""
    headers = [
        "</me>; rel=me author",
        "garbage, </not-me>; rel=me",
        "</caf\u00e9>; rel=me".encode().decode("latin-1"),
    ]
    metadata = extract_metadata("<title>T</title>", "https://a.example/p", headers)
    assert metadata.contacts.profiles == ("https://a.example/me", "https://a.example/caf\u00e9")
    assert metadata.author == Author(url="https://a.example/me")


# --------------------------------------------------------------------------- contacts


def test_email_routes_are_stripped_and_deduplicated() -> None:
    html = """
    <div class="h-entry"><p class="e-content">x</p>
      <div class="p-author h-card"><span class="p-name">Mo</span>
        <a class="u-email" href="MAILTO:mo%40mo.example?cc=boss@mo.example#x">m</a>
        <span class="p-email">mo@mo.example</span>
        <a class="u-email" href="mailto:not-an-address">bad</a>
      </div>
    </div>
    <a rel="author" href="mailto:press@mo.example,MO@MO.EXAMPLE">press</a>
    <a rel="nofollow" href="mailto:ignored@mo.example">not a route</a>
    <a rel="me" href="mailto:">empty</a>
    """
    metadata = extract_metadata(html, "https://mo.example/p")
    assert metadata.author == Author(name="Mo", email="mo@mo.example")
    assert metadata.contacts.emails == ("mo@mo.example", "press@mo.example")


def test_rel_author_mailto_is_the_authors_address() -> None:
    html = '<meta name="author" content="Vi"><a rel="author" href="mailto:vi@vi.example">Vi</a>'
    metadata = extract_metadata(html, "https://vi.example/")
    assert metadata.author == Author(name="Vi", email="vi@vi.example")


def test_rel_me_profiles_are_absolute_http_and_ordered() -> None:
    html = """
    <a rel="me" href="/about">about</a>
    <a rel="ME nofollow" href="HTTPS://Social.Example/@me">social</a>
    <a rel="me" href="https://social.example/@me#top">same</a>
    <a rel="me" href="ftp://files.example/">ftp</a>
    <a rel="me" href="data:text/html,<script>alert(1)</script>">data</a>
    <a rel="me" href=" java&#9;script:alert(1)">tabbed</a>
    <a rel="me" href="https://www.social.example/@me/">www</a>
    <a rel="me" href="https://x.example/a path">space</a>
    """
    assert extract_metadata(html, "https://me.example/").contacts.profiles == (
        "https://me.example/about",
        "https://Social.Example/@me",  # urljoin lower-cases the scheme; the rest stays
        "https://x.example/a%20path",
    )


# --------------------------------------------------------------------------- hostile input


def test_hostile_fields() -> None:
    huge = "A" * 100_000
    html = f"""<!doctype html>
    <html lang="en&quot;><script>">
    <head>
    <title>{"Long title words " * 6000}</title>
    <meta property="og:description" content="<b>Bold</b> <script>alert(1)</script>claim\x07!">
    <meta property="og:site_name" content="{huge}">
    <link rel="canonical" href="javascript:alert(1)">
    </head>
    <body>
    <div class="h-entry">
      <h1 class="p-name">Hello <script>alert("name")</script>&lt;script&gt;x()&lt;/script&gt;
        world\u202e</h1>
      <div class="e-content">content</div>
      <div class="p-author h-card">
        <span class="p-name">Eve <img src="x" onerror="alert(1)" alt="">Evil</span>
        <a class="u-url" href="javascript:alert('url')">home</a>
        <a class="u-url" href="https://eve.example/{huge}">too long</a>
        <img class="u-photo" src="data:image/png;base64,{huge}">
        <div class="p-org h-card"><span class="p-name">Evil Corp</span>
          <a class="u-url" href="https://corp.example/">corp</a></div>
      </div>
    </div>
    <a rel="me" href="{huge}">huge</a>
    </body></html>
    """
    metadata = extract_metadata(html, "https://eve.example/post")
    assert metadata == PageMetadata(
        title="Hello world",
        author=Author(name="Eve Evil"),
        description="Bold claim!",
        # No word boundary to cut at: the cut falls mid-word.
        site_name="A" * 199 + ELLIPSIS,
    )


def test_a_100_kb_title_is_cut_at_a_word() -> None:
    title = " ".join(f"w{i}" for i in range(25_000))  # about 140 KB
    metadata = extract_metadata(f"<title>{title}</title>", "https://a.example/")
    # "w0 … w76" is 297 characters; the word after it would not fit.
    assert metadata.title == " ".join(f"w{i}" for i in range(77)) + ELLIPSIS
    assert len(metadata.title) == 298 <= TITLE_LIMIT


def test_one_long_word_is_cut_mid_word() -> None:
    html = f'<meta name="description" content="{"x" * 10_000}">'
    description = extract_metadata(html, "https://a.example/").description
    assert description == "x" * (DESCRIPTION_LIMIT - 1) + ELLIPSIS


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("A <SCRIPT type=x>x()</Script >B", "A B"),
        ("A <style>p{}</style>B<!-- c -->C", "A B C"),
        ("\u0130stanbul <script>x</script> \u0130zmir", "\u0130stanbul \u0130zmir"),
        ("Why <div> is bad", "Why is bad"),
        ("a < b > c", "a < b > c"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        # Escaped twice by the site: decoded once, like every attribute, and not guessed at.
        ("Tom &amp;amp; Jerry", "Tom &amp; Jerry"),
    ],
)
def test_text_is_plain(content: str, expected: str) -> None:
    html = f'<meta name="description" content="{content.replace(chr(34), "&quot;")}">'
    assert extract_metadata(html, "https://a.example/").description == expected


def test_unclosed_script_in_a_title_drops_the_rest() -> None:
    html = '<meta property="og:title" content="Safe part <script>alert(1) <!-- forever">'
    assert extract_metadata(html, "https://a.example/").title == "Safe part"


def test_broken_markup() -> None:
    html = """<html lang=de><head><title>Kaputt</title><body><div class=h-entry><h1 class=p-name
    >Titel <b>fett</h1>
    <span class="p-author h-card"><a class=u-url href=/ >Ana</a> <a href="/x">stray</span>
    <p>unclosed <i>both</b></i></div></div></div><a rel=me href=/me>me
    <div class="e-content">Text"""
    metadata = extract_metadata(html, "https://ana.example/x")
    # The tree is the one a browser builds: the unclosed <b> and <a> are carried over, and the
    # stray link's text ends up inside the card, so its implied name takes it too.
    assert metadata == PageMetadata(
        title="Titel fett",
        author=Author(name="Ana stray", url="https://ana.example/"),
        contacts=Contacts(profiles=("https://ana.example/me",)),
        lang="de",
    )


def test_an_unclosed_title_takes_the_rest_of_the_page_as_text() -> None:
    # html5lib, as a browser would, reads everything after an unclosed <title> as its text;
    # the tags in that text are removed, never shown.
    html = "<title>Kaputt<body><h1 class=p-name>Titel</h1><script>x()</script><p>Rest"
    assert extract_metadata(html, "https://a.example/").title == "Kaputt Titel Rest"


def test_a_javascript_base_is_ignored() -> None:
    html = '<base href="javascript:alert(1)"><a rel="me" href="x">me</a>'
    metadata = extract_metadata(html, "https://a.example/dir/page")
    assert metadata.contacts.profiles == ("https://a.example/dir/x",)


@pytest.mark.slow
def test_deep_nesting_costs_microformats_not_the_page(caplog: pytest.LogCaptureFixture) -> None:
    html = (
        '<html lang="en"><head><title>Deep</title><meta name="author" content="Deb">'
        '<link rel="me" href="https://deb.example/"></head><body>'
        + "<div>" * 5_000
        + '<p class="h-entry"><span class="p-name">Lost</span></p></body></html>'
    )
    with caplog.at_level(logging.DEBUG):
        metadata = extract_metadata(html, "https://deb.example/deep")
    assert metadata == PageMetadata(
        title="Deep",
        author=Author(name="Deb"),
        contacts=Contacts(profiles=("https://deb.example/",)),
        lang="en",
    )
    assert "could not read the microformats" in caplog.text
    assert "RecursionError" in caplog.text


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "\x00\x00",
        "<",
        "<html",
        "</html>",
        "<!--",
        "<title></title>",
        "<html lang=''><title> </title></html>",
        '<div class="h-entry"></div>',
        '<div class="h-entry"><span class="p-author"></span></div>',
        '<div class="h-card"></div>',
        '<a rel="me" href="http://[::1">bad IPv6</a><a rel="me" href="http://h:port/">port</a>',
        '<link rel="canonical" href="http://">',
    ],
)
def test_degenerate_pages_give_nothing(html: str) -> None:
    assert extract_metadata(html, "https://a.example/") == PageMetadata()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "en"),
        ("pt-BR", "pt-BR"),
        ("en_US", "en-US"),
        (" zh-Hant-TW ", "zh-Hant-TW"),
        ("", None),
        ("en US", None),
        ("en<script>", None),
        ("x" * 100, None),
    ],
)
def test_lang(lang: str, expected: str | None) -> None:
    html = f'<html lang="{lang}"><title>t</title></html>'
    assert extract_metadata(html, "https://a.example/").lang == expected


# --------------------------------------------------------------------------- wrong-typed mf2


def entry_with_author(*values: object) -> dict[str, object]:
    return {
        "items": [{"type": ["h-entry"], "properties": {"author": list(values)}}],
        "rels": {},
    }


@pytest.mark.parametrize(
    ("mf2", "expected"),
    [
        (None, None),
        ("not a dict", None),
        ({"items": "not a list"}, None),
        ({"items": [42, None, "x", ["nested"]]}, None),
        ({"items": [{"type": "h-entry", "properties": []}]}, None),
        (entry_with_author(), None),
        (entry_with_author(42, None, 3.5, True, [], {}), None),
        (entry_with_author({"type": ["h-card"]}), None),  # a card without properties
        (entry_with_author({"type": ["h-card"], "properties": {}}), None),
        (entry_with_author({"type": ["h-card"], "properties": {"name": [7, None]}}), None),
        (entry_with_author({"type": ["h-card"], "value": "From value"}), Author("From value")),
        (entry_with_author({"value": {"nested": 1}}, "  "), None),
        (entry_with_author(["Pat"], "Pat Doe"), Author("Pat Doe")),
        (
            entry_with_author(
                {"type": ["h-card"], "properties": {"url": ["javascript:x"], "photo": [1]}},
                "https://pat.example/",
            ),
            Author(url="https://pat.example/"),
        ),
        (
            entry_with_author(
                {
                    "type": ["h-card", 5],
                    "properties": {
                        "name": "Not In A List",
                        "photo": [{"value": "/p.png", "alt": "Pat"}],
                        "email": ["mailto:pat@pat.example", 9],
                    },
                }
            ),
            Author("Not In A List", None, "https://site.example/p.png", "pat@pat.example"),
        ),
        (
            {"items": [{"type": ["h-entry"], "properties": {"author": "https://solo.example/"}}]},
            Author(url="https://solo.example/"),
        ),
        (
            {
                "items": [{"type": ["h-entry"], "properties": {}}],
                "rels": {"author": ["/me", 3], "me": "x"},
            },
            Author(url="https://site.example/me"),
        ),
    ],
)
def test_find_author_survives_wrong_types(mf2: object, expected: Author | None) -> None:
    assert find_author(mf2, "https://site.example/post") == expected


def test_find_author_stops_on_self_nesting_structures() -> None:
    card: dict[str, Any] = {"type": ["h-card"], "properties": {"name": ["Loop"]}}
    card["properties"]["org"] = [card]  # a cycle no parser makes, but plain data allows
    mf2 = {"items": [card], "rels": {"me": ["https://loop.example/"]}}
    card["properties"]["url"] = ["https://loop.example/"]
    assert find_author(mf2, "https://loop.example/") == Author(
        name="Loop", url="https://loop.example/"
    )


# --------------------------------------------------------------------------- offline


BASE_ELSEWHERE = """<!doctype html>
<html><head>
<base href="https://cdn.elsewhere.example/assets/">
<title>Relative everything</title>
<link rel="canonical" href="../posts/relative">
</head><body>
<div class="h-entry"><h1 class="p-name">Relative</h1>
  <div class="e-content">Hi</div>
  <div class="p-author h-card"><a class="p-name u-url" href="people/ray">Ray</a>
    <img class="u-photo" src="ray.jpg" alt=""></div>
</div>
<a rel="me" href="//social.example/@ray">social</a>
<a rel="me" href="profile">profile</a>
</body></html>
"""


def test_relative_urls_resolve_against_base_without_the_network(
    tripwire: list[tuple[Any, ...]],
) -> None:
    metadata = extract_metadata(BASE_ELSEWHERE, "https://ray.example/posts/relative")
    assert metadata == PageMetadata(
        canonical_url="https://cdn.elsewhere.example/posts/relative",
        title="Relative",
        author=Author(
            name="Ray",
            url="https://cdn.elsewhere.example/assets/people/ray",
            photo="https://cdn.elsewhere.example/assets/ray.jpg",
        ),
        contacts=Contacts(
            profiles=(
                "https://social.example/@ray",
                "https://cdn.elsewhere.example/assets/profile",
            )
        ),
    )
    assert tripwire == []


def test_a_scheme_relative_base_still_gives_absolute_urls(
    tripwire: list[tuple[Any, ...]],
) -> None:
    # mf2py takes "//cdn.example/" as the base as it is and returns "//cdn.example/..." URLs.
    html = """<base href="//cdn.example/">
    <div class="h-entry"><span class="p-name">T</span><div class="e-content">c</div>
    <a class="p-author h-card" href="/u">U</a></div>"""
    metadata = extract_metadata(html, "http://page.example/p")
    assert metadata.author == Author(name="U", url="http://cdn.example/u")
    assert tripwire == []


def test_the_tripwire_catches_mf2py_fetching(tripwire: list[tuple[Any, ...]]) -> None:
    # The proof that the tripwire can fail a test: mf2py given a URL and no document fetches.
    with pytest.raises(NetworkUsed):
        mf2py.parse(url="http://127.0.0.1:9/")
    assert len(tripwire) == 1
