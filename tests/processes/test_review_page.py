"""The outreach review page (`backlinks/outreach.html`): safe markup, and how it behaves.

The template is rendered from a small report the way the plugin does (autoescaping on), then
parsed with the standard library for what must never be in it, and opened from the file system
in headless Chromium (driven by Playwright, with the system's browser) to use it as a person
would: the status filter, the search box, the copy buttons, the mailto link.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2
import pytest

from mkdocs_backlinks.outreach import formats

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

TEMPLATES = Path(__file__).resolve().parents[2] / "mkdocs_backlinks" / "outreach" / "templates"
TEMPLATE = "review.html"
STATUSES = ["new", "pending", "sent", "replied", "linked-back", "skipped"]
EVIL = "<script>alert(1)</script>"
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "poster", "data", "xlink:href"})


def _citation(page: str, title: str, text: str, context: str) -> dict[str, Any]:
    slug = page.removesuffix(".md")
    return {
        "page": page,
        "page_title": title,
        "page_url": f"https://robin.example.org/blog/{slug}/",
        "text": text,
        "context": context,
    }


def _contact(
    site: str, status: str, works: list[dict[str, Any]], note: tuple[str, str], **extra: Any
) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "id": site,
        "site": site,
        "name": None,
        "status": status,
        "reason": "",
        "cited": True,
        "first_seen": "2026-11-20",
        "last_seen": "2026-11-24",
        "last_told": None,
        "email": None,
        "routes": [{"kind": "site", "url": f"https://{site}/"}],
        "works": works,
        "note": {"subject": note[0], "body": note[1]},
        "mark_command": f"mkdocs-backlinks mark {site} --status sent",
        "suggestions": [],
        "public_post": "",
    }
    contact.update(extra)
    return contact


EVIL_NOTE = (
    "Hi Mallory,\n\n"
    f"Your post about {EVIL} and \"quotes\" & 'apostrophes' <b>bold</b> was cited.\n\n"
    "Thanks,\nRobin Ashe"
)
ALICE_NOTE = (
    "Hi Alice,\n\n"
    'I cited your guide in "Reading list" — it pairs well with marmalade & toast?\n'
    "Line with 100% of the # and = signs.\n\n"
    "Thanks,\nRobin Ashe"
)


def make_report() -> dict[str, Any]:
    """Four contacts in four statuses, new first, as the plugin sorts them."""
    wm101 = ("posts/webmentions-101.md", "Webmentions 101")
    contacts = [
        _contact(
            "indieweb.org",
            "new",
            [
                {
                    "url": "https://indieweb.org/Webmention",
                    "title": "IndieWeb wiki",
                    "cited": True,
                    "citations": [
                        _citation(
                            *wm101,
                            "IndieWeb wiki",
                            "The spec is short and readable, and the IndieWeb wiki collects "
                            "everything the spec leaves out.",
                        )
                    ],
                }
            ],
            (
                'I mentioned your work in "Webmentions 101"',
                "Hi there,\n\nI wrote a post that cites the IndieWeb wiki.\n\nThanks,\nRobin Ashe",
            ),
            suggestions=["cited in 3 pages, never contacted"],
        ),
        _contact(
            "alice.example",
            "pending",
            [
                {
                    "url": "https://alice.example/guide",
                    "title": "Rabbit holes, a field guide",
                    "cited": True,
                    "citations": [
                        _citation(
                            "reading-list.md",
                            "Reading list",
                            "the field guide",
                            "Start with the field guide before you fall in.",
                        )
                    ],
                }
            ],
            ('Your guide in "Reading list" & more?', ALICE_NOTE),
            name="Alice Liddell",
            email="alice@alice.example",
            routes=[
                {"kind": "rel-me", "url": "https://social.example/@alice"},
                {"kind": "webmention", "url": "javascript:alert(2)"},
                {"kind": "email", "url": "mailto:alice@alice.example"},
            ],
        ),
        _contact(
            "evil.example",
            "sent",
            [
                {
                    "url": "javascript:alert(3)",
                    "title": f"A {EVIL} title",
                    "cited": True,
                    "citations": [
                        _citation(*wm101, f'"{EVIL}"', f'A context with {EVIL} and "quotes".')
                    ],
                }
            ],
            (f"About {EVIL} \"quoted\" 'single'", EVIL_NOTE),
            name=f'Mallory "the {EVIL}" O\'Brien',
            email='mallory?cc=eve@evil.example&bcc="x"',
            last_told="2026-11-01",
            suggestions=[f"suggestion with {EVIL}"],
        ),
        _contact(
            "skipped.example",
            "skipped",
            [
                {
                    "url": "https://skipped.example/a",
                    "title": "An aside",
                    "cited": False,
                    "citations": [],
                }
            ],
            ("Skipped subject", "A note nobody will send."),
            reason="asked not to be contacted",
            cited=False,
        ),
    ]
    by_status = {s: sum(c["status"] == s for c in contacts) for s in STATUSES}
    return {
        "schema": "mkdocs-backlinks/outreach",
        "version": 1,
        "generated": "2026-11-24",
        "site": {"name": "Earned, not bought", "url": "https://robin.example.org/blog/"},
        "config_file": "mkdocs.yml",
        "setup_warnings": [],
        "summary": {"contacts": len(contacts), "citations": 7, "by_status": by_status},
        "statuses": STATUSES,
        "contacts": contacts,
        "relationships": [
            {
                "site": c["site"],
                "citations": 2,
                "pages": 1,
                "last_told": c["last_told"],
                "mentions": 0,
                "status": c["status"],
                "suggestions": c["suggestions"],
            }
            for c in contacts
        ],
    }


def render(report: dict[str, Any], strict: bool = False, served: Any = None) -> str:
    """Render the page; `strict` uses the options of the plugin's section renderer."""
    options: dict[str, Any] = (
        {"trim_blocks": True, "lstrip_blocks": True, "undefined": jinja2.StrictUndefined}
        if strict
        else {}
    )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, **options)
    env.globals.update(
        mark_command_for=formats.mark_command_for,
        next_steps=formats.NEXT_STEPS,
        card_works=formats.CARD_WORKS,
        card_citations=formats.CARD_CITATIONS,
    )
    contacts = report["contacts"]
    return env.get_template(TEMPLATE).render(
        report=report,
        cards=contacts[: formats.FULL_CARDS],
        brief=contacts[formats.FULL_CARDS :],
        offset=0,
        served=served,
    )


class Parsed(HTMLParser):
    """Every start tag with its attributes, the text of each element by tag, all text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._open: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._open = tag
            self.raw[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.raw[self._open][-1] += data
        else:
            self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --------------------------------------------------------------------------- no browser


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-env"])
def test_no_event_handlers_scripts_or_remote_resources(strict: bool) -> None:
    parsed = Parsed(render(make_report(), strict=strict))
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"<{tag} {name}=...>"
            if name in URL_ATTRS and value is not None:
                assert (
                    not re.sub(r"[\s\x00-\x1f]", "", value)
                    .lower()
                    .startswith(("javascript:", "vbscript:", "data:"))
                ), f"<{tag} {name}={value!r}>"
            if name == "style":
                pytest.fail(f"inline style attribute on <{tag}>")
    # Ours is the only script and the only stylesheet, both embedded; nothing is fetched.
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert [t for t, _ in parsed.tags].count("style") == 1
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, f"<{tag} src=...>"
        if tag == "link":
            pytest.fail(f"<link {attrs}>")
    # The injected markup is text: no <b> element, and the script text is in the page's text.
    assert not parsed.find("b")
    text = "".join(parsed.text)
    assert EVIL in text
    assert "javascript:alert(2)" in text  # a route that is not http(s) is shown, not linked


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-env"])
def test_csp_hashes_match_embedded_style_and_script(strict: bool) -> None:
    parsed = Parsed(render(make_report(), strict=strict))
    (meta,) = parsed.find("meta", http_equiv="Content-Security-Policy")
    policy = {}
    for directive in (meta["content"] or "").split(";"):
        name, _, value = directive.strip().partition(" ")
        policy[name] = value.strip()
    assert policy["default-src"] == "'none'"
    for directive, tag in (("style-src", "style"), ("script-src", "script")):
        want = _csp_hash(parsed.raw[tag][0])
        assert policy[directive] == want, (
            f"{TEMPLATE}: the <{tag}> changed; set {directive} to {want} in its CSP"
        )


def test_rows_mailto_and_links() -> None:
    report = make_report()
    parsed = Parsed(render(report))
    articles = [a for t, a in parsed.tags if t == "article" and "contact" in (a["class"] or "")]
    assert [(a["data-id"], a["data-status"]) for a in articles] == [
        (c["id"], c["status"]) for c in report["contacts"]
    ]
    mailtos = [a["href"] or "" for a in parsed.find("a", **{"class": "mailto"})]
    assert len(mailtos) == 2  # the two contacts with an email
    for href, contact in zip(mailtos, (report["contacts"][1], report["contacts"][2]), strict=True):
        parts = urlsplit(href)
        assert parts.scheme == "mailto"
        assert unquote(parts.path) == contact["email"]
        query = parse_qs(parts.query, keep_blank_values=True)
        assert set(query) == {"subject", "body"}  # the odd email added no cc= or bcc=
        assert query["subject"] == [contact["note"]["subject"]]
        assert query["body"] == [contact["note"]["body"]]
    assert mailtos[0].startswith("mailto:alice@alice.example?subject=Your%20guide")
    hrefs = {a["href"] for t, a in parsed.tags if t == "a"}
    assert "https://indieweb.org/Webmention" in hrefs
    assert "https://social.example/@alice" in hrefs
    assert "mailto:alice@alice.example" not in hrefs  # routes link only http(s)


def test_empty_report() -> None:
    report = make_report()
    report["contacts"] = []
    report["relationships"] = []
    html = render(report, strict=True)
    assert "Nobody to tell" in html
    assert "No relationships yet." in html


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("review") / "outreach.html"
    path.write_text(render(make_report()), encoding="utf-8")
    return path.as_uri()


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh context that fails in seconds, not Playwright's default 30 s, when a page breaks."""
    context = browser.new_context(**options)
    context.set_default_timeout(5000)
    return context


class Watch:
    """What a page did that it must not: dialogs, console errors, non-file requests."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self, url: str) -> None:
        assert self.dialogs == []
        assert self.errors == []
        assert [u for u in self.requests if u != url] == []


def visible_ids(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "article.contact",
        "els => els.filter(e => !e.hasAttribute('hidden')).map(e => e.dataset.id)",
    )
    # Rows are hidden with the attribute and really not displayed.
    for contact_id in page.eval_on_selector_all(
        "article.contact", "els => els.map(e => e.dataset.id)"
    ):
        assert page.locator(f'article[data-id="{contact_id}"]').is_visible() == (contact_id in ids)
    return ids


def shown_line(page: Page) -> str:
    return page.locator("#shown").inner_text().strip()


@pytest.mark.slow
def test_filter_and_search(browser: Browser, page_url: str) -> None:
    started = time.monotonic()
    context = new_context(browser, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    page.goto(page_url)
    everyone = ["indieweb.org", "alice.example", "evil.example", "skipped.example"]
    assert visible_ids(page) == everyone
    assert shown_line(page) == "4 of 4 contacts shown"
    assert page.locator("#toolbar").is_visible()

    def status(name: str) -> None:
        button = page.locator(f'button.filter[data-filter="{name}"]')
        button.click()
        assert button.get_attribute("aria-pressed") == "true"

    for name, ids in (
        ("new", ["indieweb.org"]),
        ("pending", ["alice.example"]),
        ("sent", ["evil.example"]),
        ("skipped", ["skipped.example"]),
        ("replied", []),
    ):
        status(name)
        assert visible_ids(page) == ids
        assert shown_line(page) == f"{len(ids)} of 4 contacts shown"
        assert page.locator("#no-match").is_visible() == (not ids)

    status("all")
    assert visible_ids(page) == everyone
    assert shown_line(page) == "4 of 4 contacts shown"

    search = page.get_by_label("Search")
    for query, ids in (
        ("WEBMENTIONS 101", ["indieweb.org", "evil.example"]),  # page title, any case
        ("liddell", ["alice.example"]),  # name
        ("field guide", ["alice.example"]),  # work title
        ("marmalade", ["alice.example"]),  # note text
        ("<script>", ["evil.example"]),  # escaped text is searchable as text
        ("asked not to", ["skipped.example"]),  # skip reason
        ("indieweb.org", ["indieweb.org"]),  # site
        ("copy note", []),  # button labels are not data
    ):
        search.fill(query)
        assert visible_ids(page) == ids, query
        assert shown_line(page) == f"{len(ids)} of 4 contacts shown"

    # Filters combine: the search narrows within the status, and the other way round.
    search.fill("webmentions 101")
    status("new")
    assert visible_ids(page) == ["indieweb.org"]
    assert shown_line(page) == "1 of 4 contacts shown"
    status("pending")
    assert visible_ids(page) == []
    assert page.locator("#no-match").is_visible()
    status("all")
    assert visible_ids(page) == ["indieweb.org", "evil.example"]
    search.fill("")
    assert visible_ids(page) == everyone
    assert shown_line(page) == "4 of 4 contacts shown"
    assert not page.locator("#no-match").is_visible()

    watch.check(page_url)
    context.close()
    assert time.monotonic() - started < 20


def _note_text(page: Page, contact_id: str) -> str:
    text: str = page.locator(f'article[data-id="{contact_id}"] pre.note').evaluate(
        "e => e.textContent"
    )
    return text


@pytest.mark.slow
def test_copy_note_with_clipboard_api(browser: Browser, page_url: str) -> None:
    context = new_context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    watch = Watch(page)
    page.goto(page_url)
    article = page.locator('article[data-id="evil.example"]')
    note = _note_text(page, "evil.example")
    assert note == make_report()["contacts"][2]["note"]["body"]
    article.get_by_role("button", name="Copy note").click()
    status = article.locator("button.copy[data-copy^='note'] + .copy-status")
    page.wait_for_function("e => e.textContent !== ''", arg=status.element_handle(), timeout=5000)
    said = status.inner_text()
    copied = page.evaluate("navigator.clipboard.readText().catch(() => null)")
    selected = page.evaluate("window.getSelection().toString()")
    assert copied == note or (selected == note and said.startswith("Selected")), (said, copied)
    assert said in ("Copied", "Selected — press Ctrl+C")
    # The injected script is text on the page, and never ran.
    assert EVIL in article.locator("pre.note").inner_text()
    assert EVIL in article.locator("h4 + ul.works").inner_text()
    assert page.evaluate("document.scripts.length") == 1
    watch.check(page_url)
    context.close()


@pytest.mark.slow
def test_copy_falls_back_to_selection(browser: Browser, page_url: str) -> None:
    context = new_context(browser)
    # As on many file:// pages: no Clipboard API at all.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', "
        "{get: () => undefined, configurable: true});"
    )
    page = context.new_page()
    watch = Watch(page)
    page.goto(page_url)
    assert page.evaluate("navigator.clipboard") is None
    article = page.locator('article[data-id="alice.example"]')
    article.get_by_role("button", name="Copy note").click()
    status = article.locator("button.copy[data-copy^='note'] + .copy-status")
    assert status.inner_text() in ("Copied", "Selected — press Ctrl+C")
    assert page.evaluate("window.getSelection().toString()") == _note_text(page, "alice.example")
    assert _note_text(page, "alice.example") == ALICE_NOTE

    article.get_by_role("button", name="Copy the sent command").click()
    assert page.evaluate("window.getSelection().toString()") == (
        "mkdocs-backlinks mark alice.example --status sent"
    )
    assert article.locator(".mark .copy-status").first.inner_text() in (
        "Copied",
        "Selected — press Ctrl+C",
    )
    watch.check(page_url)
    context.close()


@pytest.mark.slow
def test_mailto_link_in_browser(browser: Browser, page_url: str) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(page_url)
    contact = make_report()["contacts"][1]
    href = page.locator('article[data-id="alice.example"] a.mailto').get_attribute("href") or ""
    query = parse_qs(urlsplit(href).query)
    assert href.startswith("mailto:alice@alice.example?subject=")
    assert query == {"subject": [contact["note"]["subject"]], "body": [contact["note"]["body"]]}
    assert "%0A" in href and "%26" in href and "%3F" in href  # newlines, &, ? encoded
    context.close()


@pytest.mark.slow
def test_works_without_javascript(browser: Browser, page_url: str) -> None:
    context = new_context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(page_url)
    assert page.locator("article.contact").count() == 4
    for i in range(4):
        assert page.locator("article.contact").nth(i).is_visible()
        assert page.locator("article.contact pre.note").nth(i).is_visible()
    assert not page.locator("#toolbar").is_visible()  # controls that need a script stay away
    assert not page.locator("button.copy").first.is_visible()
    assert page.locator("a.mailto").first.is_visible()
    assert page.locator("table tbody tr").count() == 4
    context.close()


# --------------------------------------------------------------------------- issue #15


def _card_text(html: str, contact_id: str) -> str:
    start = html.index(f'data-id="{contact_id}"')
    return html[start : html.index("</article>", start)]


def test_commands_carry_the_config_file_the_build_used() -> None:
    report = make_report()
    report["config_file"] = "sample_site/mkdocs.yml"
    for contact in report["contacts"]:
        contact["mark_command"] += " -f sample_site/mkdocs.yml"
    parsed = Parsed(render(report))
    codes = [c for c in "".join(parsed.text).split("\n") if c.startswith("mkdocs-backlinks")]
    assert codes, "no command on the page"
    assert all(c.endswith(" -f sample_site/mkdocs.yml") for c in codes), codes
    footer = render(report).split("<footer>")[1]
    assert "mkdocs-backlinks review -f sample_site/mkdocs.yml" in footer
    assert "build again" not in footer
    assert "rewrites this page" in footer


def test_each_card_offers_only_what_comes_next() -> None:
    html = render(make_report())
    assert "--status sent" in _card_text(html, "indieweb.org")
    assert "--status skipped --reason why" in _card_text(html, "indieweb.org")
    sent = _card_text(html, "evil.example")
    assert "--status sent" not in sent
    assert "--status replied" in sent and "--status linked-back" in sent
    skipped = _card_text(html, "skipped.example")
    assert "--status sent" not in skipped
    assert "mkdocs-backlinks mark skipped.example --status pending" in skipped


def test_a_reply_is_not_never_told_and_an_address_is_listed_once() -> None:
    report = make_report()
    report["contacts"][1]["status"] = "replied"  # alice: replied, never marked sent
    html = render(report)
    alice = _card_text(html, "alice.example")
    assert "they replied (no note marked sent)" in alice
    assert "never" not in alice
    routes = alice[alice.index('<ul class="routes">') :]
    routes = routes[: routes.index("</ul>")]
    assert routes.count("alice@alice.example") == 1
    assert "mailto:" not in routes


def test_setup_warnings_banner_and_public_post() -> None:
    report = make_report()
    report["setup_warnings"] = ["Set site_url in mkdocs.yml: notes have no link to your pages."]
    report["contacts"][0]["public_post"] = (
        "Thanks @indieweb for the wiki! https://robin.example.org/blog/"
    )
    parsed = Parsed(render(report, strict=True))
    (banner,) = parsed.find("div", **{"class": "banner"})
    assert banner["role"] == "alert"
    html = render(report)
    assert "Set site_url in mkdocs.yml" in html.split('class="banner"')[1]
    card = _card_text(html, "indieweb.org")
    assert "Thanks @indieweb for the wiki!" in card
    assert 'data-copy="post-1"' in card
    assert "Public thank-you" not in _card_text(html, "alice.example")


def test_ten_thousand_contacts_stay_a_few_megabytes() -> None:
    report = make_report()
    first = report["contacts"][0]
    work = first["works"][0]
    cites = [
        _citation(f"p/{n}.md", f"Page {n}", "the wiki", "A sentence that cites the wiki. " * 4)
        for n in range(200)
    ]
    big = {**work, "citations": cites}
    contacts = [
        {
            **first,
            "id": f"site{n}.example",
            "site": f"site{n}.example",
            "works": [{**big, "url": f"https://site{n}.example/{w}"} for w in range(30)],
            "mark_command": f"mkdocs-backlinks mark site{n}.example --status sent",
        }
        for n in range(10_000)
    ]
    report["contacts"] = contacts
    report["relationships"] = []
    html = render(report, strict=True)  # the plugin's own template options
    assert len(html.encode()) < 5_000_000, len(html.encode())
    parsed = Parsed(html)
    articles = [a for t, a in parsed.tags if t == "article"]
    assert len(articles) == 10_000  # every contact is on the page, to filter and search
    assert len(parsed.find("pre", **{"class": "note"})) == formats.FULL_CARDS
    card = _card_text(html, "site0.example")
    assert card.count("<blockquote") == formats.CARD_WORKS * formats.CARD_CITATIONS
    assert f"and {30 - formats.CARD_WORKS} more works" in card
    assert f"and {200 - formats.CARD_CITATIONS} more places" in card
    brief = _card_text(html, "site9999.example")
    assert "mkdocs-backlinks mark site9999.example --status sent" in brief
