"""The notes a person would send, as pure functions: who a contact is, whom a note greets,
which places it quotes, one work once, and the public thank-you.

Each test stands for a defect of issue #15 (named in its docstring) and fails without its fix.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from test_ledger import DAY1, DAY2, seen
from test_ledger import settings as ledger_settings

from mkdocs_backlinks.graph.linkgraph import Link, LinkGraph, PageInfo
from mkdocs_backlinks.ledger.gather import Observed, merge_build
from mkdocs_backlinks.ledger.model import Citation, Ledger
from mkdocs_backlinks.ledger.people import (
    PEOPLE_HOSTS,
    REFERENCE_SITES,
    contact_key,
    home_of,
    is_reference,
    name_from_key,
)
from mkdocs_backlinks.outreach.addressee import addressee, given_name, is_shared_address
from mkdocs_backlinks.outreach.notes import NoteWriter, ThanksWriter
from mkdocs_backlinks.outreach.places import Place, best_places, says_something
from mkdocs_backlinks.outreach.records import ContactRow, Report
from mkdocs_backlinks.outreach.report import build_report
from mkdocs_backlinks.outreach.settings import Settings, setup_warnings
from mkdocs_backlinks.outreach.thanks import profile_of, public_post
from mkdocs_backlinks.works.clean import author_name
from mkdocs_backlinks.works.identity import work_key
from mkdocs_backlinks.works.model import Routes, WorkMeta


def settings(**overrides: Any) -> Settings:
    """The ledger tests' settings, signed with a full name (greetings use the given name)."""
    return ledger_settings(**{"author": "Ada Lovelace", **overrides})


def report_of(ledger: Ledger, **overrides: Any) -> Report:
    return build_report(ledger, settings(**overrides), NoteWriter(None))


def row_of(report: Report, contact_id: str) -> ContactRow:
    return next(row for row in report.contacts if row.id == contact_id)


def built(observed: list[Observed], metadata: dict[str, WorkMeta] | None = None) -> Ledger:
    people = PEOPLE_HOSTS
    return merge_build(Ledger(), observed, DAY1, lambda url: contact_key(url, people), metadata)


# --------------------------------------------------------------------------- one work, once


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://indieweb.org/Webmention", "https://indieweb.org/Webmention"),
        ("https://www.example.org/post/", "https://example.org/post"),
        ("https://EXAMPLE.org/post?utm_source=x", "http://example.org/post/"),
    ],
)
def test_work_key_joins_scheme_www_and_trailing_slash(a: str, b: str) -> None:
    assert work_key(a) == work_key(b)


def test_work_key_joins_a_url_with_where_it_ended() -> None:
    assert work_key("https://old.example/p", "https://new.example/p/") == work_key(
        "https://new.example/p"
    )
    assert work_key("https://example.org/a") != work_key("https://example.org/b")
    assert work_key("https://example.org/?id=1") != work_key("https://example.org/?id=2")


def test_a_work_cited_as_http_and_https_is_one_work_in_the_note() -> None:
    """indieweb.org's note listed "Webmention" twice (http:// and https://)."""
    ledger = built(
        [
            seen("http://indieweb.org/Webmention", "a.md", "Webmention", "The wiki on it."),
            seen("https://indieweb.org/Webmention", "b.md", "Webmention", "More on it here."),
            seen("https://indieweb.org/POSSE", "b.md", "POSSE", "Post on your own site first."),
        ],
        {"https://indieweb.org/Webmention": WorkMeta(title="Webmention")},
    )
    row = row_of(report_of(ledger), "indieweb.org")
    assert [w.url for w in row.works] == [
        "https://indieweb.org/POSSE",
        "https://indieweb.org/Webmention",
    ]
    webmention = row.works[1]
    assert {c.page for c in webmention.citations} == {"a.md", "b.md"}
    assert row.note.body.count('"Webmention"') == 1
    assert "two of your pages" in row.note.body


# --------------------------------------------------------------------------- contacts are people


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://github.com/octocat/hello-world", "github.com/octocat"),
        ("https://github.com/OctoCat", "github.com/octocat"),
        ("https://github.com/orgs/python/people", "github.com/python"),
        ("https://github.com/", "github.com"),
        ("https://github.com/topics/markdown", "github.com"),
        ("https://gist.github.com/octocat/123", "gist.github.com/octocat"),
        ("https://mastodon.social/@Gargron/1234", "mastodon.social/@gargron"),
        ("https://bsky.app/profile/jay.bsky.team/post/1", "bsky.app/profile/jay.bsky.team"),
        ("https://www.youtube.com/watch?v=abc", "youtube.com"),
        ("https://www.youtube.com/channel/UCabcDEF", "youtube.com/channel/UCabcDEF"),
        ("https://medium.com/@someone/a-post-123", "medium.com/@someone"),
        ("https://x.com/adactio/status/1", "x.com/adactio"),
        ("https://octocat.github.io/project/", "octocat.github.io"),
        ("https://adactio.com/journal/1", "adactio.com"),
        # The platform's own documentation: a section, not a person (MkDocs' docs cite it).
        ("https://docs.github.com/actions/quickstart", "docs.github.com"),
        ("https://help.github.com/articles/about-pages/", "help.github.com"),
    ],
)
def test_contact_is_the_owner_on_a_people_host(url: str, key: str) -> None:
    assert contact_key(url) == key


def test_platform_pages_and_registries_are_credited_not_written_to() -> None:
    """Found building MkDocs' own documentation: `github.com` (its feature pages) and every
    PyPI project page were contacts with a "Hi there" note to no one."""
    assert is_reference("github.com", REFERENCE_SITES, PEOPLE_HOSTS)
    assert is_reference(contact_key("https://pypi.org/project/mkdocs/"), REFERENCE_SITES)
    assert not is_reference("github.com/octocat", REFERENCE_SITES, PEOPLE_HOSTS)
    assert not is_reference("docs.github.com", REFERENCE_SITES, PEOPLE_HOSTS)
    assert not is_reference("adactio.com", REFERENCE_SITES, PEOPLE_HOSTS)


def test_people_host_contacts_are_named_and_homed_from_their_path() -> None:
    assert name_from_key("github.com/octocat") == "octocat"
    assert name_from_key("mastodon.social/@gargron") == "gargron"
    assert name_from_key("youtube.com/channel/UCabc") == ""
    assert name_from_key("adactio.com") == ""
    assert home_of("github.com/octocat") == "https://github.com/octocat"
    assert home_of("adactio.com") == "https://adactio.com/"


def test_two_repositories_of_two_owners_are_two_notes() -> None:
    """github.com got one note for every repository of every owner."""
    ledger = built(
        [
            seen("https://github.com/octocat/hello", "a.md", "hello", "A tiny example repo."),
            seen("https://github.com/octocat/spoon", "b.md", "spoon", "Forks explained."),
            seen("https://github.com/torvalds/linux", "a.md", "Linux", "The kernel itself."),
        ]
    )
    report = report_of(ledger)
    assert sorted(row.id for row in report.contacts) == [
        "github.com/octocat",
        "github.com/torvalds",
    ]
    octocat = row_of(report, "github.com/octocat")
    assert octocat.note.body.startswith("Hi octocat,\n")
    assert octocat.best_route.url == "https://github.com/octocat"
    assert octocat.mark_command == "mkdocs-backlinks mark github.com/octocat --status sent"


def test_a_ledger_keyed_by_site_still_loads_and_new_citations_go_to_the_person() -> None:
    old = merge_build(Ledger(), [seen("https://github.com/octocat/hello", "a.md")], DAY1)
    assert list(old.contacts) == ["github.com"]  # as ledgers were written before
    told = replace(old, contacts={"github.com": replace(old.contacts["github.com"], status="sent")})
    observed = [
        seen("https://github.com/octocat/hello", "a.md"),
        seen("https://github.com/torvalds/linux", "a.md"),
    ]
    later = merge_build(told, observed, DAY2, contact_key)
    assert set(later.contacts) == {"github.com", "github.com/torvalds"}
    assert later.works["https://github.com/octocat/hello"].contact == "github.com"  # told
    untouched = merge_build(old, observed, DAY2, contact_key)
    assert untouched.works["https://github.com/octocat/hello"].contact == "github.com/octocat"
    assert untouched.contacts["github.com"].cited is False  # it stays, as contacts do


def test_reference_sites_are_credited_but_not_listed_unless_marked() -> None:
    """en.wikipedia.org and stackoverflow.com each got a note, though no one there waits."""
    ledger = built(
        [
            seen("https://en.wikipedia.org/wiki/Backlink", "a.md"),
            seen("https://stackoverflow.com/questions/1", "a.md"),
            seen("https://jvns.ca/blog/post/", "a.md"),
        ]
    )
    report = report_of(ledger)
    assert [row.id for row in report.contacts] == ["jvns.ca"]
    assert report.summary.to_do == 1
    reference = {r.site: r.suggestions for r in report.relationships}
    assert "reference site" in reference["en.wikipedia.org"][0]
    wiki = ledger.contacts["en.wikipedia.org"]
    marked = replace(ledger, contacts={**ledger.contacts, wiki.id: replace(wiki, status="sent")})
    assert "en.wikipedia.org" in [row.id for row in report_of(marked).contacts]
    assert len(report_of(ledger, reference_sites=()).contacts) == 3


# --------------------------------------------------------------------------- whom to greet


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("Jeremy Keith", "Jeremy"),
        ("Dr. Jane Doe", "Jane"),
        ("octocat", "octocat"),
        ("Cher", "Cher"),
        # as cited pages write them: the greeting was "Hi Doe,," or "Hi ,,"
        ("Doe, Jane", "Jane"),
        ("Jane Doe, Jr.", "Jane"),
        (", Jr.", ""),
        ("Jr.", ""),
        ("Dr Ada Lovelace", "Ada"),
        ('"Jane" Doe', "Jane"),
        ("—", ""),
        ("José Ñúñez", "José"),
    ],
)
def test_given_name(name: str, given: str) -> None:
    assert given_name(name) == given


@pytest.mark.parametrize(
    ("written", "name", "greeting"),
    [
        ("by Jane Doe", "Jane Doe", "Hi Jane,"),
        ("Posted by Jane Doe", "Jane Doe", "Hi Jane,"),
        ("— Jane Doe", "Jane Doe", "Hi Jane,"),
        ("Author: Sam Roe", "Sam Roe", "Hi Sam,"),
        ("Doe, Jane", "Doe, Jane", "Hi Jane,"),
        ("Byron Smith", "Byron Smith", "Hi Byron,"),
        ("{{ me.name }}", None, "Hi there,"),
        ("None", None, "Hi there,"),
        ("admin", None, "Hi there,"),
        (", Jr.", "Jr.", "Hi there,"),
    ],
)
def test_an_author_name_from_a_cited_page_gives_a_sendable_greeting(
    written: str, name: str | None, greeting: str
) -> None:
    """Names as cited pages write them (a byline, a placeholder a template left): the name
    kept is the name alone, and a note greets by it or says "Hi there"."""
    assert author_name(written) == name
    who = addressee("x.example", "x.example", written, "", [])
    hello = f"Hi {who.greet or 'there'},"
    assert hello == greeting


@pytest.mark.parametrize(
    ("address", "shared"),
    [
        ("public-socialweb@w3.org", True),
        ("info@example.org", True),
        ("team@example.org", True),
        ("dev@lists.example.org", True),
        ("python-dev-request@python.org", True),
        ("jeremy@adactio.com", False),
        ("mailto:julia@jvns.ca", False),
    ],
)
def test_shared_addresses(address: str, shared: bool) -> None:
    assert is_shared_address(address) is shared


def test_a_list_address_is_greeted_as_the_organisation_naming_the_author() -> None:
    """The w3.org note greeted the spec's editor by name but went to a W3C mailing list."""
    who = addressee("w3.org", "w3.org", "Aaron Parecki", "public-socialweb@w3.org", ["W3C"])
    assert (who.kind, who.greet, who.organisation) == ("organisation", "W3C", "W3C")
    ledger = built(
        [seen("https://www.w3.org/TR/webmention/", "a.md", "Webmention", "The W3C spec.")],
        {
            "https://www.w3.org/TR/webmention/": WorkMeta(
                title="Webmention", author="Aaron Parecki", site_name="W3C"
            )
        },
    )
    contact = ledger.contacts["w3.org"]
    ledger = replace(
        ledger,
        contacts={"w3.org": replace(contact, email="public-socialweb@w3.org", status="sent")},
    )
    body = row_of(report_of(ledger), "w3.org").note.body
    assert body.startswith("Hi everyone at W3C,\n")
    assert '"Webmention" (https://www.w3.org/TR/webmention/), by Aaron Parecki.' in body
    assert "Thanks to everyone who worked on it." in body
    assert "Hi Aaron" not in body


def test_a_person_is_greeted_by_given_name_in_friendly_and_brief_by_full_name_formally() -> None:
    """ "Hi Jeremy Keith," (people write "Hi Jeremy")."""
    meta = {"https://adactio.com/journal": WorkMeta(title="Journal", author="Jeremy Keith")}
    ledger = built([seen("https://adactio.com/journal", "a.md", "journal", "His journal.")], meta)
    for tone, start in (
        ("friendly", "Hi Jeremy,\n"),
        ("brief", "Hi Jeremy,\n"),
        ("formal", "Dear Jeremy Keith,\n"),
    ):
        assert row_of(report_of(ledger, tone=tone), "adactio.com").note.body.startswith(start)


def test_pronouns_agree_with_the_number_of_works() -> None:
    """ "I linked to a few things of yours ... Thanks for writing it.\""""
    one = built([seen("https://a.example/p", "a.md", "p", "One post of theirs.")])
    two = built(
        [
            seen("https://a.example/p", "a.md", "p", "One post of theirs."),
            seen("https://a.example/q", "a.md", "q", "Another post of theirs."),
        ]
    )
    for tone, singular, plural in (
        ("friendly", "Thanks for writing it. It helped", "Thanks for writing them. They helped"),
        ("brief", "Thanks for writing it.", "Thanks for writing them."),
        ("formal", "publishing it; it was useful", "publishing them; they were useful"),
    ):
        assert singular in row_of(report_of(one, tone=tone), "a.example").note.body
        body = row_of(report_of(two, tone=tone), "a.example").note.body
        assert plural in body and singular not in body


# --------------------------------------------------------------------------- a note is an email


def citation(page: str, context: str, text: str = "link") -> Citation:
    return Citation(page, f"Title of {page}", f"https://me.example/{page}/", text, context)


def test_best_places_are_distinct_pages_with_the_sentences_that_say_most() -> None:
    cited = [
        ("w1", citation("a", "Short.")),
        ("w1", citation("a", "A much longer sentence that says what the work taught me.")),
        ("w2", citation("b", "A medium sentence about it.")),
        ("w1", citation("c", "link")),  # the anchor text alone says nothing
        ("w1", citation("d", "")),  # an image-only link
        ("w2", citation("e", "Another sentence, shorter.")),
    ]
    places, more = best_places(cited)
    assert [p.page for p in places] == ["a", "b", "e"]
    assert places[0].context.startswith("A much longer")
    assert more == 2


def _every_page_judged(cited: list[tuple[str, Citation]], limit: int) -> tuple[list[Place], int]:
    """`best_places` as its docstring states it, judging every sentence of every page."""
    by_page: dict[str, list[tuple[str, Citation]]] = {}
    for key, c in cited:
        by_page.setdefault(c.page, []).append((key, c))
    candidates = []
    for page, found in by_page.items():
        contexts = sorted(
            {c.context.strip() for _, c in found if says_something(c.context, c.text)},
            key=lambda text: (-len(text), text),
        )
        first = found[0][1]
        url = first.page_url if first.page_url.startswith(("https://", "http://")) else ""
        candidates.append((page, first.page_title, url, contexts, len({k for k, _ in found})))
    candidates.sort(key=lambda c: (not c[3], -len(c[3][0]) if c[3] else 0, c[0]))
    quoted: set[str] = set()
    places = []
    for page, title, url, contexts, works in candidates[:limit]:
        context = next((text for text in contexts if text not in quoted), "")
        quoted.add(context)
        places.append(Place(page, title, url, context, works))
    return places, max(len(candidates) - limit, 0)


@pytest.mark.parametrize("seed", range(40))
def test_best_places_stops_judging_early_without_changing_the_choice(seed: int) -> None:
    """Pages are judged longest sentence first and judging stops once no page left can win:
    the same places as judging them all, with ties of length, sentences that say nothing
    (long anchor texts alone), a sentence quoted on two pages, and few pages that say much."""
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    sentences = [" ".join(rng.choices(words, k=rng.randint(1, 6))) + "." for _ in range(12)]
    cited = []
    for _ in range(rng.randint(1, 60)):
        page = f"p{rng.randint(0, 25):02}.md"
        context = rng.choice([*sentences, "", "  padded.  "])
        # Now and then the sentence is the anchor text alone: long, yet it says nothing.
        text = context.strip(" .") if rng.random() < 0.3 else rng.choice(words)
        cited.append((f"w{rng.randint(0, 3)}", citation(page, context, text)))
    for limit in (0, 1, 3, 5, 100):
        assert best_places(cited, limit) == _every_page_judged(cited, limit)


def test_a_page_without_a_sentence_is_named_not_quoted() -> None:
    """A note with one image-only link quoted an empty sentence (">" alone)."""
    ledger = built(
        [Observed("https://pics.example/cat.png", "a.md", "Cats", "https://me.example/a/", "", "")]
    )
    body = row_of(report_of(ledger), "pics.example").note.body
    assert "\n>" not in body
    assert 'It is cited in "Cats" (https://me.example/a/).' in body


def test_a_note_quotes_three_places_and_counts_the_rest() -> None:
    """The note to github.com quoted thousands of sentences (1.5 MB)."""
    observed = [
        seen(
            "https://busy.example/post", f"p{n:03}.md", "post", f"Page {n} says why. " * (n % 7 + 1)
        )
        for n in range(200)
    ]
    body = row_of(report_of(built(observed)), "busy.example").note.body
    assert body.count("\n> ") == 3
    assert "I also linked to it on 197 more pages." in body
    assert len(body) < 2000


# --------------------------------------------------------------------------- sendable notes


def test_unsendable_setup_is_named_and_notes_hold_no_empty_link_or_name() -> None:
    """Without site_url and site_author, notes read 'In "Welcome" () I wrote:', had no "I'm"
    line and ended with "Thanks," and no name, and the build said nothing."""
    bare = settings(site_url="", author="", author_url="")
    warnings = setup_warnings(bare)
    assert len(warnings) == 2
    assert "'site_url'" in warnings[0] and "'site_author'" in warnings[1]
    assert "'outreach.author'" in warnings[1]
    observed = [Observed("https://a.example/p", "index.md", "Welcome", "", "p", "About p.")]
    report = build_report(built(observed), bare, NoteWriter(None))
    assert report.setup_warnings == warnings
    body = report.contacts[0].note.body
    assert "()" not in body and "I'm" not in body and "Thanks,\n" not in body
    assert 'In "Welcome" I wrote:' in body
    assert build_report(Ledger(), bare, NoteWriter(None)).setup_warnings == ()
    assert setup_warnings(settings()) == ()


# --------------------------------------------------------------------------- public thank-you


@pytest.mark.parametrize(
    ("url", "handle", "limit"),
    [
        ("https://mastodon.social/@adactio", "@adactio@mastodon.social", 500),
        ("https://social.jvns.ca/@b0rk", "@b0rk@social.jvns.ca", 500),
        ("https://hachyderm.io/users/someone", "@someone@hachyderm.io", 500),
        ("https://twitter.com/adactio", "@adactio", 280),
        ("https://x.com/adactio", "@adactio", 280),
        ("https://bsky.app/profile/jay.bsky.team", "@jay.bsky.team", 300),
    ],
)
def test_profiles_to_post_to(url: str, handle: str, limit: int) -> None:
    profile = profile_of(url)
    assert profile is not None and (profile.handle, profile.limit) == (handle, limit)


@pytest.mark.parametrize(
    "url", ["https://github.com/aaronpk", "https://medium.com/@x", "https://example.org/"]
)
def test_not_profiles_to_post_to(url: str) -> None:
    assert profile_of(url) is None


def test_public_post_fits_its_limit_and_names_handle_and_page() -> None:
    place = Place("a.md", "My page", "https://me.example/a/", "Why it mattered. " * 40, 1)
    works = [{"title": "A post", "url": "https://them.example/p", "home": False}]
    text = public_post(
        ThanksWriter(None), ["https://x.com/them"], {}, works, [place], {"name": "Ada"}
    )
    assert len(text) <= 280
    assert text.startswith('Thank you @them for "A post"')
    assert text.endswith("https://me.example/a/")
    assert "\n" not in text
    assert public_post(ThanksWriter(None), ["https://github.com/x"], {}, works, [place], {}) == ""
    no_url = replace(place, url="")
    assert public_post(ThanksWriter(None), ["https://x.com/them"], {}, works, [no_url], {}) == ""


def test_contact_row_carries_the_public_post_for_a_fediverse_route() -> None:
    meta = {
        "https://adactio.com/journal": WorkMeta(
            title="Journal",
            author="Jeremy Keith",
            routes=Routes(profiles=("https://mastodon.social/@adactio",)),
        )
    }
    ledger = built([seen("https://adactio.com/journal", "a.md", "journal", "His journal.")], meta)
    post = row_of(report_of(ledger), "adactio.com").public_post
    assert post.startswith('Thank you @adactio@mastodon.social for "Journal"')
    assert "https://me.example/a/" in post


# --------------------------------------------------------------------------- credits


def test_credits_show_one_work_once_however_it_was_written() -> None:
    """The same page as http:// and https://, with `www.`, or through an old address that
    ends where another does, is one credit, its citations counted together."""
    graph = LinkGraph()
    cites = [
        ("http://indieweb.org/Webmention", "wiki"),
        ("https://www.indieweb.org/Webmention/", "again"),
        ("https://indieweb.org/POSSE", "POSSE"),
        ("https://x.example/old", "old"),
        ("https://x.example/new", "new"),
    ]
    rows = [Link("a.md", u, u, "", t, "", "", (), False) for u, t in cites]
    graph.add_page(PageInfo("a.md", "a/", "A", {}), rows)
    meta = {
        "https://x.example/old": WorkMeta(final_url="https://x.example/new"),
        "https://x.example/new": WorkMeta(title="New home"),
    }
    groups = {g.site: g.entries for g in graph.credit_groups("a.md", meta)}
    assert [(e.href, e.count) for e in groups["indieweb.org"]] == [
        ("http://indieweb.org/Webmention", 2),
        ("https://indieweb.org/POSSE", 1),
    ]
    [moved] = groups["x.example"]
    assert (moved.href, moved.count, moved.title) == ("https://x.example/old", 2, "New home")
    # Without what the check learned, the two addresses are two works.
    unknown = {g.site: g.entries for g in graph.credit_groups("a.md")}
    assert len(unknown["x.example"]) == 2
    graph.close()


@pytest.mark.parametrize(
    ("context", "text"),
    [
        ("See the guide.", "the guide"),
        ("the_guide", "the guide"),  # the underscore is punctuation here
        ("Café \u2013 crème brûlée!", "café crème brûlée"),
        ("第二版のガイド。", "第二版のガイド"),
        ("Version 2.0\u00a0(beta)\tnotes", "version 20 beta notes"),
        ("½ ² ٣ Ⅻ", "½ ² ٣ Ⅻ"),  # digits and numerals of other scripts are kept
        ("...!!!", ""),
        ("", ""),
    ],
)
def test_a_sentence_says_something_by_its_words_alone(context: str, text: str) -> None:
    # What the regex in `places` keeps, said one character at a time.
    def words(value: str) -> str:
        kept = (ch for ch in value.lower() if ch.isalnum() or ch.isspace())
        return " ".join("".join(kept).split())

    expected = bool(words(context)) and words(context) != words(text)
    assert says_something(context, text) is expected
    assert says_something(context, context) is False
