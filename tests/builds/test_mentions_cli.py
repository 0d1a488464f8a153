"""The mentions commands (`fetch`, `mentions list/hide/block-*`) and mentions in the
relationships view, on real sites and a real local server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MakeSite, Site
from http_servers import Handler, HttpServer

from mkdocs_backlinks.cli.main import main
from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.ledger.contacts import linked_back
from mkdocs_backlinks.ledger.model import Contact, Event, Ledger
from mkdocs_backlinks.mentions.model import RELAYS, Mention
from mkdocs_backlinks.mentions.moderation import Moderation
from mkdocs_backlinks.mentions.sites import mentioning_sites

SITE_URL = "https://example.org/blog/"
POST = SITE_URL + "posts/hello/"
PAGES = {
    "index.md": "# Home\n\nWelcome.\n",
    "posts/hello.md": "# Hello\n\nI learnt this from [Friend 1](https://friend1.example.net/post).\n",
}


def entry(wid: int, kind: str = "in-reply-to", received: str = "2099-01-01T00:00:00Z") -> Any:
    source = f"https://friend{wid}.example.net/notes/{wid}"
    return {
        "wm-id": wid,
        "wm-source": source,
        "wm-target": POST,
        "wm-property": kind,
        "wm-received": received,
        "url": source,
        "author": {"name": f"Friend {wid}", "url": f"https://friend{wid}.example.net/"},
        "content": {"text": f"Reply number {wid}"},
    }


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer() as running:
        running.entries = []  # type: ignore[attr-defined]

        @running.route("/feed")
        def feed(handler: Handler) -> None:
            body = {"children": running.entries}  # type: ignore[attr-defined]
            handler.reply(200, json.dumps(body).encode(), "application/json")

        yield running


def make(make_site: MakeSite, server: HttpServer, **options: Any) -> Site:
    mentions = {"sources": [{"jf2": server.url("/feed")}], **options}
    return make_site(PAGES, {"offline": True, "mentions": mentions}, site_url=SITE_URL)


def cli(site: Site, *args: str) -> int:
    return main([*args[:1], *args[1:], "-f", str(site.config_file)])


def test_fetch_refreshes_the_store_without_building(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.entries = [entry(1), entry(2, "like-of")]  # type: ignore[attr-defined]
    site = make(make_site, server)
    # The site is offline; the command goes online only for the network the user names.
    assert cli(site, "fetch") == 1
    assert "offline" in capsys.readouterr().err
    assert cli(site, "fetch", "--allow-network", "127.0.0.0/8", "--offline") == 1
    capsys.readouterr()
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "offline: false")
    )
    assert cli(site, "fetch", "--allow-network", "127.0.0.0/8") == 0
    out = capsys.readouterr().out
    assert "2 mentions read" in out and "2 new, 0 updated" in out
    store = json.loads((site.root / "backlinks" / "mentions.json").read_text())
    assert sorted(store["mentions"]) == ["1", "2"]
    assert not site.site_dir.exists()  # nothing built
    server.entries[0]["content"]["text"] = "Edited reply"  # type: ignore[attr-defined]
    assert cli(site, "fetch", "--allow-network", "127.0.0.0/8") == 0
    assert "0 new, 1 updated" in capsys.readouterr().out
    # Then an offline build shows what was fetched.
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: false", "offline: true")
    )
    requests = len(server.requests)
    site.build()
    assert "Edited reply" in site.html("posts/hello/index.html")
    assert len(server.requests) == requests


def test_fetch_without_sources_is_an_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(PAGES, site_url=SITE_URL)
    assert main(["fetch", "-f", str(site.config_file)]) == 1
    assert "No mention sources are configured" in capsys.readouterr().err


@pytest.mark.slow
def test_list_hide_and_block(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.entries = [entry(1), entry(2), entry(3), entry(4, "like-of")]  # type: ignore[attr-defined]
    site = make(make_site, server, fetch_on_build=True)
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    )
    site.build()
    capsys.readouterr()
    assert cli(site, "mentions", "list") == 0
    listed = capsys.readouterr().out
    assert listed.count("/posts/hello/") == 4
    assert cli(site, "mentions", "list", "--format", "json", "--page", POST) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["id"] for row in rows] == ["1", "2", "3", "4"]

    assert cli(site, "mentions", "hide", "https://friend1.example.net/notes/1") == 0
    assert "1 of 4 mentions now hidden\n" in capsys.readouterr().out
    # Each command reports what it hid, not what earlier ones did.
    assert cli(site, "mentions", "hide", "https://friend2.example.net/notes/2") == 0
    assert "1 of 4 mentions now hidden (2 hidden in all)" in capsys.readouterr().out
    assert cli(site, "mentions", "block-domain", "www.friend2.example.net") == 0
    assert "0 of 4 mentions now hidden (2 hidden in all)" in capsys.readouterr().out
    # Unhiding the address lifts the hide and the block of its domain alike.
    assert cli(site, "mentions", "unhide", "https://friend2.example.net/notes/2") == 0
    assert "1 of 4 mentions shown again" in capsys.readouterr().out
    assert cli(site, "mentions", "block-domain", "www.friend2.example.net") == 0
    assert "1 of 4 mentions now hidden (2 hidden in all)" in capsys.readouterr().out
    assert cli(site, "mentions", "block-author", "https://friend3.example.net/") == 0
    assert "1 of 4 mentions now hidden (3 hidden in all)" in capsys.readouterr().out
    assert cli(site, "mentions", "hide", "no-such-id") == 1
    assert "No mention with id 'no-such-id'" in capsys.readouterr().err
    moderation = json.loads((site.root / "backlinks" / "moderation.json").read_text())
    assert moderation["blocked_domains"] == ["friend2.example.net"]

    site.build()  # fetches all four again
    page = site.html("posts/hello/index.html")
    assert "Reply number 1" not in page and "Reply number 2" not in page
    assert "Reply number 3" not in page and "1 like" in page
    assert cli(site, "mentions", "list") == 0
    assert capsys.readouterr().out.count("[hidden]") == 3
    assert cli(site, "mentions", "unhide", "friend2.example.net") == 0
    site.build()
    assert "Reply number 2" in site.html("posts/hello/index.html")


def test_list_marks_mentions_of_urls_that_are_not_pages(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mention of a deleted page (on this site, but no page) is listed as not a page, as
    the README says, not under a path the site does not have."""
    gone = entry(2)
    gone["wm-target"] = SITE_URL + "drafts/deleted/"
    server.entries = [entry(1), gone]  # type: ignore[attr-defined]
    site = make(make_site, server)
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    )
    assert cli(site, "fetch") == 0
    capsys.readouterr()
    assert cli(site, "mentions", "list") == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines["1"].split()[2] == "/posts/hello/"
    assert f"  (not a page) {SITE_URL}drafts/deleted/" in lines["2"]
    assert cli(site, "mentions", "list", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["id"]: row["page"] for row in rows} == {"1": "posts/hello/", "2": None}


def test_list_never_prints_control_characters_from_remote_urls(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A URL may carry C1 controls (U+009B is a terminal's CSI): such a URL is refused, the
    mention shown under its source, and the table shows no control character."""
    hostile = entry(1)
    hostile["url"] = "https://friend1.example.net/notes/1?\u009b2J\u009b31m"
    server.entries = [hostile]  # type: ignore[attr-defined]
    site = make(make_site, server)
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    )
    assert cli(site, "fetch") == 0
    capsys.readouterr()
    assert cli(site, "mentions", "list") == 0
    out = capsys.readouterr().out
    assert "https://friend1.example.net/notes/1\n" in out
    assert not any(0x80 <= ord(ch) <= 0x9F or (ord(ch) < 0x20 and ch != "\n") for ch in out)


@pytest.mark.slow
def test_interrupted_fetch_keeps_the_sources_already_read(
    make_site: MakeSite, server: HttpServer
) -> None:
    """Ctrl-C while the second source hangs: the first source's mentions are saved, as the
    interrupted message says, and there is no traceback."""
    server.entries = [entry(1), entry(2)]  # type: ignore[attr-defined]
    arrived = threading.Event()

    @server.route("/hanging")
    def hanging(handler: Handler) -> None:
        arrived.set()
        handler.stopping.wait(30)

    site = make(make_site, server)
    text = site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    text = text.replace(
        f"- jf2: {server.url('/feed')}",
        f"- jf2: {server.url('/feed')}\n      - jf2: {server.url('/hanging')}",
    )
    site.config_file.write_text(text)
    assert server.url("/hanging") in site.config_file.read_text()
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs_backlinks.cli", "fetch", "-f", str(site.config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert arrived.wait(30), "the second source was never asked"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in err and "interrupted" in err
    store = json.loads((site.root / "backlinks" / "mentions.json").read_text(encoding="utf-8"))
    assert sorted(store["mentions"]) == ["1", "2"]


@pytest.mark.parametrize(
    ("action", "value", "message"),
    [
        ("block-domain", "a b", "'a b' is not a domain name"),
        ("block-domain", "http://", "'http://' is not a domain name"),
        ("block-domain", "bad-.example", "'bad-.example' is not a domain name"),
        ("block-author", "not a url", "'not a url' is not an author's URL"),
        ("block-author", "javascript:alert(1)", "is not an author's URL"),
        ("unhide", "never-hidden", "'never-hidden' is not hidden or blocked"),
    ],
)
def test_moderation_values_that_cannot_work_are_refused(
    make_site: MakeSite,
    server: HttpServer,
    capsys: pytest.CaptureFixture[str],
    action: str,
    value: str,
    message: str,
) -> None:
    """A value that can never match a mention is an error naming it, and nothing is written
    (before, each was stored, or dropped, with a message saying it worked)."""
    site = make(make_site, server)
    capsys.readouterr()
    assert cli(site, "mentions", action, value) == 1
    assert message in capsys.readouterr().err
    assert not (site.root / "backlinks" / "moderation.json").exists()


def test_repeated_moderation_says_so_in_plain_words(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make(make_site, server)
    for action, value, said in (
        ("hide", "https://spam.example/post", "already hidden"),
        ("block-domain", "spam.example", "already blocked"),
        ("block-author", "https://troll.example/", "already blocked"),
    ):
        assert cli(site, "mentions", action, value) == 0
        capsys.readouterr()
        assert cli(site, "mentions", action, value) == 0
        assert f"{value}: {said}\n" == capsys.readouterr().out


def test_a_damaged_moderation_file_is_an_error_not_a_reset(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make(make_site, server)
    path = site.root / "backlinks" / "moderation.json"
    path.parent.mkdir()
    path.write_text("[1, 2", encoding="utf-8")
    assert cli(site, "mentions", "hide", "https://x.example/") == 1
    assert "moderation.json is not valid JSON" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "[1, 2"


# ----------------------------------------------------------------------------- relationships


def contact(status: str, told: str) -> Contact:
    history = (Event("2024-01-01", "new"), Event(told, status)) if told else ()
    return Contact("a.example", "a.example", status, "2024-01-01", "", True, history=history)


@pytest.mark.parametrize(
    ("status", "told", "mentioned", "expected"),
    [
        ("sent", "2024-02-01", "2024-03-01", "linked-back"),
        ("sent", "2024-02-01", "2024-02-01", "linked-back"),
        ("sent", "2024-02-01", "2024-01-15", "sent"),  # mentioned before being told
        ("replied", "2024-02-01", "2024-03-01", "linked-back"),
        ("new", "", "2024-03-01", "new"),  # never told
        ("skipped", "2024-02-01", "2024-03-01", "skipped"),
        ("sent", "2024-02-01", "", "sent"),
    ],
)
def test_linked_back(status: str, told: str, mentioned: str, expected: str) -> None:
    ledger = Ledger(contacts={"a.example": contact(status, told)})
    if status == "replied":  # replied after being sent
        c = ledger.contacts["a.example"]
        history = (*c.history[:-1], Event(told, "sent"), Event(told, "replied"))
        ledger = Ledger(contacts={"a.example": Contact(**{**_fields(c), "history": history})})
    latest = {"a.example": mentioned} if mentioned else {}
    after = linked_back(ledger, latest, "2024-04-01")
    changed = after.contacts["a.example"]
    assert changed.status == expected
    if expected == "linked-back":
        assert changed.history[-1] == Event("2024-04-01", "linked-back", "mentioned us")
    else:
        assert after is ledger


def _fields(c: Contact) -> dict[str, Any]:
    return {name: getattr(c, name) for name in Contact.__dataclass_fields__}


@pytest.mark.slow
def test_mentions_join_the_relationships_view(
    make_site: MakeSite, server: HttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    like = {**entry(1, "like-of"), "wm-id": 11}  # another mention from the same site
    server.entries = [entry(1), like, entry(7, "like-of")]  # type: ignore[attr-defined]
    site = make(make_site, server)
    site.build()  # offline: nothing fetched yet; friend1.example.net is a new contact
    assert (
        main(["mark", "friend1.example.net", "--status", "sent", "-f", str(site.config_file)]) == 0
    )
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    )
    site.build()
    ledger_text = (site.root / "backlinks" / "ledger.json").read_text()
    record = next(line for line in ledger_text.splitlines() if line.startswith('"friend1.'))
    assert '"status":"linked-back"' in record and "mentioned us" in record
    report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    rows = {row["site"]: row for row in report["relationships"]}
    assert rows["friend1.example.net"]["mentions"] == 2
    assert rows["friend1.example.net"]["status"] == "linked-back"
    assert rows["friend7.example.net"]["mentions"] == 1
    assert rows["friend7.example.net"]["status"] is None
    assert (
        "| friend7.example.net | 0 | 0 | never | 1 |"
        in (site.root / "backlinks" / "outreach.md").read_text()
    )
    capsys.readouterr()
    assert main(["outreach", "--format", "json", "-f", str(site.config_file)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {r["site"]: r["mentions"] for r in shown["relationships"]}["friend7.example.net"] == 1


@pytest.mark.slow
def test_a_claimed_author_counts_only_when_a_known_relay_reports_it(
    make_site: MakeSite, server: HttpServer
) -> None:
    """A page on impostor.example that claims `author.url` friend1 is impostor.example's
    mention: friend1, told, stays `sent` and is credited nothing (before, the claim made it
    `linked-back`). The same author reported by Bridgy, whose page webmention.io fetched and
    verified, is friend1's."""
    impostor = {
        **entry(2),
        "wm-source": "https://impostor.example/post",
        "url": "https://impostor.example/post",
        "author": {"name": "Friend 1", "url": "https://friend1.example.net/"},
    }
    server.entries = [impostor]  # type: ignore[attr-defined]
    site = make(make_site, server)
    site.build()
    assert (
        main(["mark", "friend1.example.net", "--status", "sent", "-f", str(site.config_file)]) == 0
    )
    site.config_file.write_text(
        site.config_file.read_text().replace("offline: true", "allow_networks: [127.0.0.0/8]")
    )
    site.build()

    def relationships() -> dict[str, Any]:
        report = json.loads((site.root / "backlinks" / "outreach.json").read_text())
        return {row["site"]: row for row in report["relationships"]}

    rows = relationships()
    assert rows["friend1.example.net"]["status"] == "sent"
    assert rows["friend1.example.net"]["mentions"] == 0
    assert rows["impostor.example"]["mentions"] == 1

    relayed = {
        **entry(3),
        "wm-source": "https://brid.gy/comment/mastodon/@friend1@social.example/1/2",
        "url": "https://social.example/@friend1/2",
        "author": {"name": "Friend 1", "url": "https://friend1.example.net/"},
    }
    server.entries = [impostor, relayed]  # type: ignore[attr-defined]
    site.build()
    rows = relationships()
    assert rows["friend1.example.net"]["status"] == "linked-back"
    assert rows["friend1.example.net"]["mentions"] == 1
    assert rows["brid.gy"]["mentions"] == 1
    assert rows["impostor.example"]["mentions"] == 1


def claimed(source: str, author: str | None, wid: str = "1") -> Mention:
    return Mention(wid, "reply", source, POST, source, author_url=author, received="2099-01-02")


ALICE = "https://alice.example/"


@pytest.mark.parametrize(
    ("source", "author", "relays", "credited"),
    [
        # The source's own site always counts; a claimed author elsewhere does not.
        ("https://impostor.example/p", "https://famous.example/", RELAYS, ["impostor.example"]),
        ("https://www.impostor.example/p", None, RELAYS, ["impostor.example"]),
        # The author on the source's own site is that site once.
        ("https://alice.example/p", "https://www.alice.example/", RELAYS, ["alice.example"]),
        # Bridgy and its subdomains (Bridgy Fed), under either of its names.
        ("https://brid.gy/like/1", ALICE, RELAYS, ["alice.example", "brid.gy"]),
        ("https://fed.brid.gy/r/1", ALICE, RELAYS, ["alice.example", "fed.brid.gy"]),
        (
            "https://brid-gy.appspot.com/c/1",
            ALICE,
            RELAYS,
            ["alice.example", "brid-gy.appspot.com"],
        ),
        # A look-alike host is not Bridgy.
        ("https://notbrid.gy/p", ALICE, RELAYS, ["notbrid.gy"]),
        ("https://brid.gy.evil.example/p", ALICE, RELAYS, ["brid.gy.evil.example"]),
        # Bridgy named where a parser that reads the host another way might see it: in user
        # info, the path, the query or the fragment. The host decides, as the receiver that
        # fetched the source read it.
        ("https://brid.gy@evil.example/p", ALICE, RELAYS, ["evil.example"]),
        ("https://evil.example/brid.gy", ALICE, RELAYS, ["evil.example"]),
        ("https://evil.example?.brid.gy", ALICE, RELAYS, ["evil.example"]),
        ("https://evil.example#.brid.gy", ALICE, RELAYS, ["evil.example"]),
        ("https://evil-brid.gy/p", ALICE, RELAYS, ["evil-brid.gy"]),
        # The same host however it is written: case, a final dot.
        ("https://FED.Brid.GY/r/1", ALICE, RELAYS, ["alice.example", "fed.brid.gy"]),
        ("https://brid.gy./like/1", ALICE, RELAYS, ["alice.example", "brid.gy"]),
        # The list is the user's: another relay, or none at all.
        ("https://relay.example/p", ALICE, ("relay.example",), ["alice.example", "relay.example"]),
        ("https://brid.gy/like/1", ALICE, (), ["brid.gy"]),
    ],
)
def test_a_mention_credits_its_source_and_a_relayed_author_only(
    source: str, author: str | None, relays: tuple[str, ...], credited: list[str]
) -> None:
    found = mentioning_sites([claimed(source, author)], Moderation(), SITE_URL, relays=relays)
    assert [site for site, _, _ in found] == credited
    assert all(count == 1 and when == "2099-01-02" for _, count, when in found)


def test_hidden_relayed_mentions_credit_no_one() -> None:
    relayed = claimed("https://brid.gy/like/1", ALICE)
    moderation = Moderation(hidden=frozenset({"1"}))
    assert mentioning_sites([relayed], moderation, SITE_URL) == ()


def test_relays_option_defaults_to_bridgy_and_rejects_urls() -> None:
    config = BacklinksConfig()
    config.load_dict({})
    assert config.validate() == ([], [])
    assert config.mentions.relays == ("brid-gy.appspot.com", "brid.gy")
    config = BacklinksConfig()
    config.load_dict({"mentions": {"relays": ["https://relay.example/"]}})
    failed, _ = config.validate()
    assert [name for name, _ in failed] == ["mentions"]
    assert "relays" in str(failed[0][1]) and "not a domain name" in str(failed[0][1])
