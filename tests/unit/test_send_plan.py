"""Tests for the pure half of sending webmentions (`webmention.plan`, `live`, `record`):
digests, live links, planning, records.

No network and no MkDocs here: plain data in, plain data out. The command against real servers
is in test_send.py.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mkdocs_backlinks.http.result import Result
from mkdocs_backlinks.ledger.contacts import mark
from mkdocs_backlinks.ledger.file import load_ledger, parse_ledger, save_ledger
from mkdocs_backlinks.ledger.format import dumps
from mkdocs_backlinks.ledger.gather import Observed, merge_build
from mkdocs_backlinks.ledger.model import Ledger, LedgerError, PageSends, SentTarget
from mkdocs_backlinks.links.urls import normalise_url
from mkdocs_backlinks.webmention.deliver import Sender
from mkdocs_backlinks.webmention.journal import (
    JOURNAL_FILE,
    Journal,
    JournalBusy,
    read_journal,
    replay,
)
from mkdocs_backlinks.webmention.live import LivePage, content_digest, live_check, live_links
from mkdocs_backlinks.webmention.outcomes import (
    Delivery,
    delivery_of,
    printable,
    short_reason,
    valid_web_url,
)
from mkdocs_backlinks.webmention.plan import Step, is_old_address, plan_sends, split_moves
from mkdocs_backlinks.webmention.record import Recorder, apply_outcome

DAY1, DAY2 = "2026-01-01", "2026-01-02"
SITE = "https://me.example/"
A, B, C = "https://alpha.org/post", "https://beta.net/paper", "https://gamma.io/"


def page(title: str, body: str, nav: str = "<a href='/x/'>X</a>", extra: str = "") -> str:
    return (
        f"<html><head><title>{title}</title><script>var build = 1;</script></head><body>"
        f"<nav>{nav}</nav><header>Site</header><article>{body}{extra}</article>"
        "<footer>Built on a day</footer></body></html>"
    )


def observed(page_src: str, *urls: str) -> list[Observed]:
    url = SITE + page_src.removesuffix(".md") + "/"
    return [Observed(u, page_src, page_src, url, "text", "context") for u in urls]


def ledger_with(*items: list[Observed]) -> Ledger:
    return merge_build(Ledger(), [o for group in items for o in group], DAY1)


def sources(*pages: str) -> dict[str, str]:
    return {p: SITE + p.removesuffix(".md") + "/" for p in pages}


def sent(
    ledger: Ledger, page_src: str, digest: str, outcome: str = "accepted", *keys: str
) -> Ledger:
    for key in keys:
        step = Step(page_src, sources(page_src)[page_src], key, key, "send", "new link", digest)
        ledger = apply_outcome(ledger, step, Delivery(outcome, key, 202), DAY1)
    return ledger


def actions(plan_steps: tuple[Step, ...]) -> set[tuple[str, str, str]]:
    return {(s.page, s.key, s.action) for s in plan_steps}


# --------------------------------------------------------------------------- digests


def test_digest_ignores_navigation_footer_scripts_and_incoming_backlinks() -> None:
    base = content_digest(page("T", "<p>Text <a href='https://alpha.org/post'>a</a></p>"))
    other_chrome = page(
        "T",
        "<p>Text <a href='https://alpha.org/post'>a</a></p>",
        nav="<a href='/new-page/'>New page</a>",
        extra="<section class='backlinks backlinks-incoming'><a href='/y/'>Y links here</a>"
        "</section>",
    )
    assert content_digest(other_chrome.replace("Built on a day", "Built on another")) == base


@pytest.mark.parametrize(
    "changed",
    [
        page("Another title", "<p>Text <a href='https://alpha.org/post'>a</a></p>"),
        page("T", "<p>Edited text <a href='https://alpha.org/post'>a</a></p>"),
        page("T", "<p>Text <a href='https://alpha.org/other'>a</a></p>"),
    ],
    ids=["title", "text", "link target"],
)
def test_digest_follows_title_text_and_links(changed: str) -> None:
    base = content_digest(page("T", "<p>Text <a href='https://alpha.org/post'>a</a></p>"))
    assert content_digest(changed) != base


def test_digest_uses_main_or_role_main_without_article() -> None:
    one = "<html><body><nav>n1</nav><div role='main'><p>Body</p></div></body></html>"
    two = "<html><body><nav>n2</nav><div role='main'><p>Body</p></div></body></html>"
    three = "<html><body><nav>n2</nav><div role='main'><p>Body!</p></div></body></html>"
    assert content_digest(one) == content_digest(two) != content_digest(three)
    body = "<html><head><title>T</title></head><body><nav>{}</nav><p>{}</p></body></html>"
    assert content_digest(body.format("n1", "B")) == content_digest(body.format("n2", "B"))
    assert content_digest(body.format("n1", "B")) != content_digest(body.format("n1", "C"))
    assert content_digest(body.format("n1", "B")) != content_digest(
        body.format("n1", "B").replace("<title>T", "<title>U")
    )


def test_digest_copes_with_implied_end_tags_and_svg_titles() -> None:
    def doc(item: str) -> str:
        return (
            "<html><head><title>T</title></head><body><header><svg><title>icon</title></svg>"
            f"</header><article><ul><li>{item}<li>two</ul><p>para<p>more</article>"
            "<footer>f</footer></body></html>"
        )

    assert content_digest(doc("one")) != content_digest(doc("uno"))
    moved = doc("one").replace("<footer>f</footer>", "<footer>g</footer>")
    assert content_digest(moved) == content_digest(doc("one"))
    assert content_digest(doc("one").replace("<title>icon", "<title>other")) == content_digest(
        doc("one")
    )


# --------------------------------------------------------------------------- live links


def test_live_links_resolve_relative_and_base_and_keep_the_href_as_written() -> None:
    html = (
        "<a href='https://Alpha.org/post?utm_source=x#part'>a</a>"
        "<a href='../paper'>b</a><a href='mailto:me@x.org'>m</a><a href='javascript:alert(1)'>j</a>"
        "<a href='#top'>t</a>"
    )
    links = live_links(html, "https://beta.net/docs/page/")
    assert links["https://alpha.org/post"] == "https://Alpha.org/post?utm_source=x"
    assert links["https://beta.net/docs/paper"] == "https://beta.net/docs/paper"
    assert set(links) == {
        "https://alpha.org/post",
        "https://beta.net/docs/paper",
        "https://beta.net/docs/page/",
    }
    based = live_links("<base href='https://gamma.io/x/'><a href='y'>y</a>", "https://beta.net/")
    assert based == {"https://gamma.io/x/y": "https://gamma.io/x/y"}


def test_live_links_of_a_themed_page_come_from_its_main_content() -> None:
    html = (
        "<html><head><base href='https://gamma.io/x/?a=1&amp;b=2'></head><body>"
        "<nav><a href='/nav/'>nav</a></nav><div role='main'><p>See <a href='y'>y</a> and "
        "<a href='https://alpha.org/post'>a</a>.</p></div><footer><a href='/f/'>f</a></footer>"
        "</body></html>"
    )
    assert live_links(html, "https://beta.net/page/") == {
        "https://gamma.io/x/y": "https://gamma.io/x/y",
        "https://alpha.org/post": "https://alpha.org/post",
    }


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/", "not an http or https URL"),
        ("javascript:alert(1)", "not an http or https URL"),
        ("https:///path", "has no host"),
        ("http://example.org:port/", "not a valid URL"),
        ("example.org/page", "not an http or https URL"),
    ],
)
def test_valid_web_url_names_the_problem(url: str, problem: str) -> None:
    assert problem in (valid_web_url(url) or "")


def test_valid_web_url_accepts_http_and_https() -> None:
    assert valid_web_url("https://example.org/a?b=c") is None
    assert valid_web_url("http://127.0.0.1:8000/") is None


# --------------------------------------------------------------------------- planning


def test_first_run_sends_every_citation_of_every_page() -> None:
    ledger = ledger_with(observed("a.md", A, B), observed("b.md", C))
    plan = plan_sends(ledger, {"a.md": "d1", "b.md": "d2"}, sources("a.md", "b.md"))
    assert actions(plan.steps) == {("a.md", A, "send"), ("a.md", B, "send"), ("b.md", C, "send")}
    assert {s.reason for s in plan.steps} == {"new link"}
    assert plan.deleted == ()
    assert next(s for s in plan.steps if s.page == "b.md").source == SITE + "b/"


def test_unchanged_page_is_left_alone_and_failures_are_tried_again() -> None:
    ledger = ledger_with(observed("a.md", A, B, C))
    ledger = sent(ledger, "a.md", "d1", "accepted", A)
    ledger = sent(ledger, "a.md", "d1", "no-endpoint", B)
    ledger = sent(ledger, "a.md", "d1", "unreachable", C)
    plan = plan_sends(ledger, {"a.md": "d1"}, sources("a.md"))
    assert actions(plan.steps) == {("a.md", A, "skip"), ("a.md", B, "skip"), ("a.md", C, "send")}
    retry = next(s for s in plan.steps if s.key == C)
    assert retry.reason == f"trying again after unreachable on {DAY1}"


def test_changed_page_sends_to_every_target_including_removed_links() -> None:
    before = ledger_with(observed("a.md", A, B))
    before = sent(before, "a.md", "d1", "accepted", A, B)
    after = merge_build(before, observed("a.md", A, C), DAY2)  # B removed, C added
    plan = plan_sends(after, {"a.md": "d2"}, sources("a.md"))
    assert actions(plan.steps) == {("a.md", A, "send"), ("a.md", B, "unlink"), ("a.md", C, "send")}
    reasons = {s.key: s.reason for s in plan.steps}
    assert reasons == {
        A: f"page changed since accepted on {DAY1}",
        B: "link removed",
        C: "new link",
    }


def test_removed_link_is_told_once() -> None:
    ledger = sent(ledger_with(observed("a.md", A, B)), "a.md", "d1", "accepted", A, B)
    ledger = merge_build(ledger, observed("a.md", A), DAY2)
    step = next(s for s in plan_sends(ledger, {"a.md": "d2"}, sources("a.md")).steps if s.key == B)
    told = apply_outcome(ledger, step, Delivery("rejected", B, 400), DAY2)
    assert told.sends["a.md"].targets[B].linked is False
    later = plan_sends(told, {"a.md": "d3"}, sources("a.md"))
    assert actions(later.steps) == {("a.md", A, "send")}
    # A removal notice that did not get through stays to do.
    failed = apply_outcome(ledger, step, Delivery("unreachable", B), DAY2)
    assert failed.sends["a.md"].targets[B].linked is True
    assert ("a.md", B, "unlink") in actions(plan_sends(failed, {"a.md": "d3"}, {}).steps)


def test_only_receivers_that_took_a_webmention_are_told_of_a_removal() -> None:
    ledger = ledger_with(observed("a.md", A, B, C))
    ledger = sent(ledger, "a.md", "d1", "no-endpoint", A)
    ledger = sent(ledger, "a.md", "d1", "not-live", B)
    ledger = sent(ledger, "a.md", "d1", "accepted", C)
    ledger = sent(ledger, "a.md", "d2", "server-error", C)  # an update that failed
    assert [t.linked for t in ledger.sends["a.md"].targets.values()] == [False, False, True]
    removed = merge_build(ledger, observed("a.md"), DAY2)
    plan = plan_sends(removed, {"a.md": "d3"}, sources("a.md"))
    assert actions(plan.steps) == {("a.md", C, "unlink")}


def test_deleted_page_is_reported_and_its_targets_told() -> None:
    ledger = ledger_with(observed("a.md", A), observed("b.md", B, C))
    ledger = sent(ledger, "a.md", "d1", "accepted", A)
    ledger = sent(ledger, "b.md", "d2", "accepted", B, C)
    ledger = merge_build(ledger, observed("a.md", A), DAY2)  # b.md deleted
    plan = plan_sends(ledger, {"a.md": "d1", "b.md": None}, sources("a.md"))
    assert plan.deleted == ("b.md",)
    assert actions(plan.to_do) == {("b.md", B, "unlink"), ("b.md", C, "unlink")}
    assert {s.source for s in plan.to_do} == {SITE + "b/"}  # from the record
    for step in plan.to_do:
        ledger = apply_outcome(ledger, step, Delivery("accepted", step.target, 202), DAY2)
        assert ledger.sends["b.md"].deleted is (step.key == C)
    assert plan_sends(ledger, {"a.md": "d1", "b.md": None}, sources("a.md")).to_do == ()


NEW = "https://new.example/a/"


def test_a_moved_page_sends_again_and_tells_every_target_from_the_old_address() -> None:
    """The receivers hold mentions from the old URL: every target it told (the removed link
    too) is told from there that it is gone, besides the sends from the new URL."""
    ledger = sent(ledger_with(observed("a.md", A, B)), "a.md", "d1", "accepted", A, B)
    ledger = merge_build(ledger, observed("a.md", A), DAY2)
    plan = plan_sends(ledger, {"a.md": "d1"}, {"a.md": NEW})
    old = SITE + "a/"
    assert {(s.page, s.source, s.key, s.action, s.reason) for s in plan.to_do} == {
        ("a.md", NEW, A, "send", f"page moved from {old}"),
        (old, old, A, "unlink", f"old address of a.md, now {NEW}"),
        (old, old, B, "unlink", f"old address of a.md, now {NEW}"),
    }
    assert (plan.old_addresses, plan.deleted, dict(plan.moved)) == ((old,), (), {"a.md": NEW})
    for step in plan.to_do:
        ledger = apply_outcome(ledger, step, Delivery("accepted", step.target, 202), DAY2)
    assert ledger.sends["a.md"].source == NEW
    assert set(ledger.sends["a.md"].targets) == {A}
    assert ledger.sends[old].deleted is True  # told, once: the next plan has nothing to do
    assert not any(t.linked for t in ledger.sends[old].targets.values())
    again = plan_sends(ledger, {"a.md": "d1"}, {"a.md": NEW})
    assert again.to_do == () and again.old_addresses == () and not again.moved


def test_an_old_address_not_told_yet_stays_to_be_told_whatever_is_recorded_first() -> None:
    """A run records the old address's not-live before any send from the new URL, and a
    single send records the page at its new URL without a plan: the old URL's targets are
    kept either way (they used to be overwritten with the page's new URL)."""
    ledger = sent(ledger_with(observed("a.md", A, B)), "a.md", "d1", "accepted", A, B)
    old = SITE + "a/"
    plan = plan_sends(ledger, {"a.md": "d1"}, {"a.md": NEW})
    first = next(s for s in plan.to_do if s.page == old)
    split = split_moves(ledger, plan.moved)
    split = apply_outcome(split, first, Delivery("not-live", first.target), DAY2)
    assert split.sends[old].targets[first.key].linked
    assert {
        s.key for s in plan_sends(split, {"a.md": "d1"}, {"a.md": NEW}).to_do if s.page == old
    } == {A, B}

    single = Step("a.md", NEW, A, A, "send", "named on the command line", "d1")
    ledger = apply_outcome(ledger, single, Delivery("accepted", A, 202), DAY2)
    assert {k for k, t in ledger.sends[old].targets.items() if t.linked} == {A, B}
    assert ledger.sends["a.md"].targets[A].linked and B not in ledger.sends["a.md"].targets


def test_split_moves_is_idempotent_and_a_page_that_moves_back_takes_its_record_back() -> None:
    ledger = sent(ledger_with(observed("a.md", A)), "a.md", "d1", "accepted", A)
    assert split_moves(ledger, {"a.md": SITE + "a/"}) is ledger  # nothing moved
    old = SITE + "a/"
    there = split_moves(ledger, {"a.md": NEW})
    assert split_moves(there, {"a.md": NEW}) is there
    step = Step("a.md", NEW, A, A, "send", "x", "d1")
    there = apply_outcome(there, step, Delivery("accepted", A, 202), DAY2)
    back = split_moves(there, {"a.md": old})
    assert back.sends["a.md"] == PageSends("a.md", old, ledger.sends["a.md"].targets)
    assert back.sends[NEW].targets[A].linked and old not in back.sends
    # Not moved back but still to be told: a page of the site lives there again, so it waits.
    plan = plan_sends(there, {"a.md": "d1", "b.md": "d2"}, {"a.md": NEW, "b.md": old})
    assert [(s.page, s.action, s.reason) for s in plan.steps if s.page == old] == [
        (old, "skip", "the old address is a page of the site again")
    ]


def test_old_address_records_round_trip_without_a_new_field(tmp_path: Path) -> None:
    """No new field: the old address is a `sends` record keyed by its URL, which no page's
    source path can be (so an older version loads it too, as a page it cannot build)."""
    ledger = sent(ledger_with(observed("a.md", A)), "a.md", "d1", "accepted", A)
    ledger = split_moves(ledger, {"a.md": NEW})
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    assert load_ledger(path) == ledger
    old = SITE + "a/"
    assert is_old_address(old) and not is_old_address("a.md")
    assert not any(is_old_address(page) for page in ("a b.md", "notes/x:y.md", "http/a.md"))


def test_an_old_address_key_that_is_no_web_url_is_left_alone() -> None:
    """A hand-edited key is never fetched or posted from: skipped, and the reason says why."""
    doc = json.loads(dumps(Ledger()))
    targets = {A: {"outcome": "accepted"}}
    doc["sends"] = {
        "javascript://x/\x1b[2J": {"targets": targets},
        "https://[::1/": {"targets": targets},
    }
    plan = plan_sends(parse_ledger(json.dumps(doc), Path("ledger.json")), {}, {})
    assert plan.to_do == () and plan.old_addresses == ()
    assert sorted(s.reason for s in plan.steps) == [
        "'https://[::1/' is not a valid URL",
        "'javascript://x/\N{REPLACEMENT CHARACTER}[2J' is not an http or https URL",
    ]


@pytest.mark.parametrize(
    ("status", "told"),
    [("broken", True), ("gone", True), ("redirected", True), ("ok", False),
     ("server-error", False), ("unreachable", False)],
)  # fmt: skip
def test_an_old_address_is_told_once_it_answers_404_410_or_redirects(
    status: str, told: bool
) -> None:
    old = SITE + "a/"
    step = Step(old, old, A, A + "#x", "unlink", "old address, page moved", "")
    checked = live_check(step, LivePage(status, {normalise_url(A): A}, "HTTP 500"))
    assert (checked == A + "#x") is told
    if not told:
        assert isinstance(checked, Delivery) and checked.outcome == "not-live"
        assert ("still serves a page" in checked.reason) is (status == "ok")


def test_excluded_sites_are_skipped() -> None:
    ledger = ledger_with(observed("a.md", A, B))
    plan = plan_sends(ledger, {"a.md": "d1"}, sources("a.md"), lambda url: "beta.net" in url)
    skipped = next(s for s in plan.steps if s.key == B)
    assert (skipped.action, skipped.reason) == ("skip", "site excluded by outreach.exclude_sites")


# --------------------------------------------------------------------------- records


def test_accepted_webmention_marks_the_contact_sent_by_webmention() -> None:
    ledger = ledger_with(observed("a.md", A, B))
    ledger = sent(ledger, "a.md", "d1", "created", A)
    ledger = sent(ledger, "a.md", "d1", "no-endpoint", B)
    alpha, beta = ledger.contacts["alpha.org"], ledger.contacts["beta.net"]
    assert (alpha.status, alpha.reason) == ("sent", "webmention")
    assert [(e.status, e.reason) for e in alpha.history] == [("new", ""), ("sent", "webmention")]
    assert alpha.last_told == DAY1
    assert (beta.status, beta.reason, len(beta.history)) == ("new", "", 1)


def test_a_status_the_author_set_is_kept() -> None:
    ledger = mark(ledger_with(observed("a.md", A)), "alpha.org", "replied", DAY1, "nice")
    ledger = sent(ledger, "a.md", "d1", "accepted", A)
    assert (ledger.contacts["alpha.org"].status, ledger.contacts["alpha.org"].reason) == (
        "replied",
        "nice",
    )


def test_send_records_round_trip_and_survive_a_build(tmp_path: Path) -> None:
    ledger = sent(ledger_with(observed("a.md", A)), "a.md", "d1", "accepted", A)
    step = Step("a.md", SITE + "a/", B, B, "send", "new link", "d1")
    created = Delivery("created", B, 201, "https://beta.net/wm", "https://beta.net/s/1", "")
    ledger = apply_outcome(ledger, step, created, DAY1)
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    loaded = load_ledger(path)
    assert loaded == ledger
    record = loaded.sends["a.md"].targets[B]
    assert (record.outcome, record.http_status, record.location) == (
        "created",
        201,
        "https://beta.net/s/1",
    )
    # One line per page in the file, after the works.
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[-3].startswith('"a.md":{') and lines[-4] == '"sends":{'
    rebuilt = merge_build(loaded, observed("a.md", A), DAY2)
    assert rebuilt.sends == ledger.sends


def test_a_ledger_without_sends_loads_and_writes_as_before() -> None:
    ledger = ledger_with(observed("a.md", A))
    text = dumps(ledger)
    assert '"sends"' not in text
    assert parse_ledger(text, Path("ledger.json")).sends == {}


def test_send_records_decode_leniently_but_refuse_wrong_types() -> None:
    doc = json.loads(dumps(ledger_with(observed("a.md", A))))
    doc["sends"] = {"a.md": {"targets": {A: {"outcome": "queued-somewhere"}}}}
    loaded = parse_ledger(json.dumps(doc), Path("ledger.json"))
    assert loaded.sends["a.md"].targets[A] == SentTarget(A, "", "queued-somewhere", "")
    doc["sends"]["a.md"]["targets"][A]["linked"] = "yes"
    with pytest.raises(LedgerError, match=r"linked of the send from 'a\.md'"):
        parse_ledger(json.dumps(doc), Path("ledger.json"))
    doc["sends"] = {"a.md": {"targets": {A: {"date": DAY1}}}}
    with pytest.raises(LedgerError, match="'outcome' is missing"):
        parse_ledger(json.dumps(doc), Path("ledger.json"))


def test_page_sends_defaults() -> None:
    assert replace(PageSends("a.md", SITE), deleted=True).targets == {}


# --------------------------------------------------------------------------- answers


def answer(code: int | None, body: str = "", **headers: str) -> Result:
    from requests.structures import CaseInsensitiveDict

    status = "ok" if code and code < 300 else "broken"
    return Result(
        "https://e/wm",
        "https://e/wm",
        status,  # type: ignore[arg-type]
        code,
        CaseInsensitiveDict(headers),
        body=body.encode(),
        error="" if code else "connection refused",
    )


def test_receiver_answers_become_outcomes() -> None:
    created = delivery_of(answer(201, Location="/status/9"), "https://t/", "https://e/wm")
    assert (created.outcome, created.location) == ("created", "https://e/status/9")
    assert delivery_of(answer(200), "t", "e").outcome == "accepted"
    assert delivery_of(answer(202), "t", "e").outcome == "accepted"
    assert delivery_of(answer(400), "t", "e").outcome == "rejected"
    assert delivery_of(answer(429), "t", "e").outcome == "server-error"
    assert delivery_of(answer(503), "t", "e").outcome == "server-error"
    # A redirect is not the receiver's refusal, and is never followed, whatever its code.
    for code in (301, 302, 303, 307, 308):
        moved = delivery_of(answer(code, Location="https://elsewhere/"), "t", "https://e/wm")
        assert (moved.outcome, moved.http_status, moved.endpoint, moved.reason) == (
            "redirected",
            code,
            "https://e/wm",
            f"HTTP {code} to https://elsewhere/, not followed",
        )
    for location in ("javascript:alert(1)", "/x\x1b[2J", "file:///etc/passwd", ""):
        odd = delivery_of(answer(308, Location=location), "t", "https://e/wm")
        assert (odd.outcome, odd.reason) == (
            "redirected",
            "HTTP 308 without a usable http(s) Location, not followed",
        )
    # UTF-8 as http.client hands it over (decoded as Latin-1), and back.
    utf8 = "/caf\u00e9\u2014wm".encode().decode("latin-1")
    dash = delivery_of(answer(303, Location=utf8), "t", "https://e/wm")
    assert dash.reason.startswith("HTTP 303 to https://e/caf\u00e9\u2014wm,")
    long = delivery_of(answer(302, Location="/" + "x" * 500), "t", "https://e/wm")
    assert len(long.reason) <= 160
    failed = delivery_of(answer(None), "t", "e")
    assert (failed.outcome, failed.reason) == ("unreachable", "connection refused")
    bad_location = delivery_of(answer(201, Location="javascript:alert(1)"), "t", "https://e/")
    assert bad_location.location == ""


def test_short_reason_prefers_json_flattens_html_and_strips_controls() -> None:
    body = json.dumps({"error": "no_link", "error_description": "Source has no\x1b[31m link"})
    assert short_reason(answer(400, body)) == "Source has no [31m link"
    html = "<html><body><h1>Bad</h1><script>x</script><p>target\x07 unknown</p></body></html>"
    assert short_reason(answer(400, html)) == "Bad target unknown"
    long = short_reason(answer(400, "word " * 200))
    assert len(long) == 160 and long.endswith("…")


def test_printable_replaces_control_characters() -> None:
    assert printable("ok \x1b[2J\x07 done") == "ok \ufffd[2J\ufffd done"
    with_escape = delivery_of(answer(201, Location="/s/\x1b[2J"), "t", "https://e/")
    assert with_escape.location == ""


# --------------------------------------------------------------------------- pacing order


class FakeClock:
    """Time that moves only when the sender sleeps (pacing logic without waiting)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_paced_order_lets_other_hosts_go_while_one_waits() -> None:
    clock = FakeClock()
    sender = Sender(None, interval=5.0, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    endpoints = ["https://a.org/wm", "https://a.org/wm", "https://b.org/wm", "https://a.org/x"]
    order = []
    for index in sender.paced(endpoints):
        host_ready = sender.ready_at(endpoints[index])
        clock.now = max(clock.now, host_ready)  # what post() waits for
        sender._last_post[endpoints[index].split("/")[2]] = clock.now
        order.append((index, clock.now))
    assert order == [(0, 0.0), (2, 0.0), (1, 5.0), (3, 10.0)]


# --------------------------------------------------------------------------- saving


def test_saves_put_outcomes_on_the_ledger_on_disk_and_keep_them_when_it_is_gone() -> None:
    """The recorder's saves: on top of what someone else wrote meanwhile; and when the file
    is gone, the run's own ledger (with every outcome), never an empty one."""
    start = ledger_with(observed("p.md", A, B))
    step_a = Step("p.md", sources("p.md")["p.md"], A, A, "send", "new link", "d1")
    step_b = replace(step_a, key=B, target=B)
    saved: list[Ledger] = []
    on_disk: list[Ledger | None] = [start]
    recorder = Recorder(start, DAY2, saved.append, lambda: 0.0, 10.0, lambda: on_disk[0])

    recorder.add(step_a, Delivery("accepted", A, 202))
    on_disk[0] = mark(start, "beta.net", "replied", DAY2)  # a `mark` meanwhile
    recorder.flush()
    assert saved[-1].contacts["beta.net"].status == "replied"
    assert saved[-1].sends["p.md"].targets[A].outcome == "accepted"

    recorder.add(step_b, Delivery("accepted", B, 202))
    on_disk[0] = None  # the file was removed
    recorder.flush()
    assert set(saved[-1].sends["p.md"].targets) == {A, B}
    assert saved[-1].contacts["beta.net"].status == "replied"
    assert saved[-1].works.keys() == start.works.keys()


def test_an_outcome_this_version_does_not_know_is_kept_and_left_alone(tmp_path: Path) -> None:
    """A record written by a newer (or older) version loads, plans as settled, and is written
    back as it was: nothing in `sends` is lost to a version that cannot read it."""
    digest = content_digest(page("One", f"<a href='{A}'>a</a>"))
    ledger = sent(ledger_with(observed("one.md", A)), "one.md", digest, "teleported", A)
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    text = path.read_text(encoding="utf-8")
    loaded = load_ledger(path)
    assert loaded.sends["one.md"].targets[A].outcome == "teleported"
    plan = plan_sends(loaded, {"one.md": digest}, sources("one.md"))
    assert [(s.action, s.reason) for s in plan.steps] == [
        ("skip", f"unchanged since teleported on {DAY1}")
    ]
    save_ledger(path, loaded)
    assert path.read_text(encoding="utf-8") == text


# --------------------------------------------------------------------------- Retry-After

NOW = datetime(2026, 1, 2, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("code", "retry_after", "until"),
    [
        (429, "3600", "2026-01-02T13:00:00Z"),
        (503, "Fri, 02 Jan 2026 14:30:00 GMT", "2026-01-02T14:30:00Z"),
        (429, "99999999999999999999", "2026-02-01T12:00:00Z"),  # at most 30 days
        (429, "Thu, 01 Jan 2026 00:00:00 GMT", ""),  # already past
        (429, "soon", ""),
        (429, None, ""),
        (500, "3600", ""),  # only a 429 or a 503 asks for a pause
    ],
)
def test_a_receiver_s_retry_after_becomes_the_time_it_is_left_alone_until(
    code: int, retry_after: str | None, until: str
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    delivery = delivery_of(answer(code, **headers), "t", "https://e/wm", NOW)
    assert (delivery.outcome, delivery.not_before) == ("server-error", until)


def held_ledger(until: str) -> tuple[Ledger, str, str]:
    """p.md sent to A (429 from alpha's endpoint, asking to wait `until`) and B (accepted by
    the same endpoint host), and q.md to C on another host (500); p.md has changed since."""
    ledger = ledger_with(observed("p.md", A, B), observed("q.md", C))
    for page_src, key, delivery in [
        ("p.md", A, Delivery("server-error", A, 429, "https://wm.alpha.org/x", not_before=until)),
        ("p.md", B, Delivery("accepted", B, 202, "https://WM.alpha.org/y")),
        ("q.md", C, Delivery("server-error", C, 500, "https://gamma.io/wm")),
    ]:
        step = Step(page_src, sources(page_src)[page_src], key, key, "send", "new link", "d1")
        ledger = apply_outcome(ledger, step, delivery, DAY1)
    return ledger, "d2", "d1"


def test_a_receiver_that_asked_to_wait_is_not_planned_before_that_time() -> None:
    ledger, changed, same = held_ledger("2026-01-02T13:00:00Z")
    digests = {"p.md": changed, "q.md": same}
    plan = plan_sends(ledger, digests, sources("p.md", "q.md"), now=NOW)
    wait = "the receiver asked to wait until 2026-01-02T13:00:00Z"
    assert [(s.key, s.action, s.reason) for s in plan.steps] == [
        (A, "wait", wait),
        (B, "wait", wait),  # the same endpoint host, whatever the target
        (C, "send", f"trying again after server-error on {DAY1}"),
    ]
    assert [s.key for s in plan.to_do] == [C]
    # Once the time has come, both go again.
    later = plan_sends(ledger, digests, sources("p.md", "q.md"), now=NOW + timedelta(hours=2))
    assert [(s.key, s.action) for s in later.steps] == [(A, "send"), (B, "send"), (C, "send")]


def test_a_removed_link_to_a_receiver_that_asked_to_wait_waits_too() -> None:
    ledger, _, _ = held_ledger("2026-01-02T13:00:00Z")
    ledger = merge_build(ledger, observed("p.md", A) + observed("q.md", C), DAY2)
    plan = plan_sends(ledger, {"p.md": "d2", "q.md": "d1"}, sources("p.md", "q.md"), now=NOW)
    assert {(s.key, s.action) for s in plan.steps if s.page == "p.md"} == {
        (A, "wait"),
        (B, "wait"),  # would be told the link is gone
    }


def test_the_time_a_receiver_asked_for_is_kept_in_the_ledger_and_checked(tmp_path: Path) -> None:
    ledger, _, _ = held_ledger("2026-01-02T13:00:00Z")
    path = tmp_path / "ledger.json"
    save_ledger(path, ledger)
    text = path.read_text(encoding="utf-8")
    assert text.count('"not_before":') == 1  # only where a receiver asked
    assert load_ledger(path) == ledger
    for bad in ('"tomorrow"', "3600", '"2026-01-02 13:00"'):
        damaged = text.replace('"not_before":"2026-01-02T13:00:00Z"', f'"not_before":{bad}')
        with pytest.raises(LedgerError, match=r"not_before of the send from 'p\.md'"):
            parse_ledger(damaged, path)


# --------------------------------------------------------------------------- the journal


def test_a_journal_left_by_a_killed_run_replays_its_outcomes(tmp_path: Path) -> None:
    start = ledger_with(observed("p.md", A, B))
    step_a = Step("p.md", sources("p.md")["p.md"], A, A, "send", "new link", "d1")
    step_b = replace(step_a, key=B, target=B)
    journal = Journal.take(tmp_path)
    journal.begin({})
    journal.note(step_a, Delivery("accepted", A, 202, "https://alpha.org/wm"), DAY2)
    journal.note(step_b, Delivery("server-error", B, 429, not_before="2026-01-02T13:00:00Z"), DAY2)
    # A second run cannot take it while this one holds it.
    with pytest.raises(JournalBusy, match="Another 'mkdocs-backlinks send --yes'"):
        Journal.take(tmp_path)
    os.close(journal._fd)  # killed: no clear, no close
    path = tmp_path / JOURNAL_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"step": {"page": "p.md", "sou')  # a line cut short by the kill

    entries = read_journal(tmp_path)
    replayed = replay(start, entries)
    expected = apply_outcome(
        apply_outcome(start, step_a, Delivery("accepted", A, 202, "https://alpha.org/wm"), DAY2),
        step_b,
        Delivery("server-error", B, 429, not_before="2026-01-02T13:00:00Z"),
        DAY2,
    )
    assert replayed == expected
    assert replay(replayed, entries) == replayed  # folded in twice: the same
    assert replayed.contacts["alpha.org"].status == "sent"

    # The next run takes it, finds the leftovers, and an empty journal goes when it is done.
    again = Journal.take(tmp_path)
    assert again.leftover() == entries
    again.clear()
    again.close()
    assert not path.exists()


def test_a_damaged_journal_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_text('{"schema": "mkdocs-backlinks/send-journal", "version": 1}\nnot json\n{}\n')
    with pytest.raises(LedgerError, match=r"send journal .* is damaged at line 2"):
        read_journal(tmp_path)
    path.write_text('{"step": {"action": "skip"}}\n')
    with pytest.raises(LedgerError, match="at line 1"):
        read_journal(tmp_path)
    assert path.read_text() == '{"step": {"action": "skip"}}\n'
