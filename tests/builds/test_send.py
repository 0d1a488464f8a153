"""`mkdocs-backlinks send` against real servers on loopback.

Each test builds a real site whose `site_url` is a "live site" server on 127.0.0.1 that serves
what a test deploys (a copy of `site_dir`, so "built but not yet deployed" is a real state).
The cited works live on receiver servers on 127.0.0.2 and 127.0.0.3 (two hosts, so two
contacts), with endpoints advertised in Link headers and in HTML that answer 202, 201 with a
Location, 400, 500, nothing at all, or never. Counting the POSTs the receivers saw is how the
tests know what was sent.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml
from conftest import MakeSite, Site
from http_servers import FolderServer, Handler, HttpServer, QuietFiles

from mkdocs_backlinks.cli.main import main
from mkdocs_backlinks.http.client import HttpClient
from mkdocs_backlinks.http.options import HttpOptions
from mkdocs_backlinks.ledger.contacts import mark
from mkdocs_backlinks.ledger.file import load_ledger, save_ledger
from mkdocs_backlinks.webmention.deliver import Sender
from mkdocs_backlinks.webmention.journal import JOURNAL_FILE, Journal
from mkdocs_backlinks.webmention.live import read_built_site
from mkdocs_backlinks.webmention.outcomes import Delivery
from mkdocs_backlinks.webmention.plan import Step

LOOPBACK = "127.0.0.0/8"


# --------------------------------------------------------------------------- servers


class LiveSite(FolderServer):
    """The deployed site: a static file server over a folder that `deploy` fills."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.paths: list[str] = []
        self.redirects: dict[str, str] = {}
        """Paths answered with a 301 to another path, as a host set up for a move does."""
        owner = self

        class Files(QuietFiles):
            def do_GET(self) -> None:
                owner.paths.append(self.path)
                where = owner.redirects.get(self.path)
                if where is None:
                    super().do_GET()
                    return
                self.send_response(301)
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(folder, files=Files)

    def deploy(self, site: Site, under: str = "") -> None:
        shutil.rmtree(self.folder)
        shutil.copytree(site.site_dir, self.folder / under)


def target_page(title: str, head: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head>"
        f"<body><h1>{title}</h1></body></html>"
    ).encode()


@dataclass
class Receivers:
    """`alpha` (127.0.0.2) takes webmentions in several ways; `beta` (127.0.0.3) has none."""

    alpha: HttpServer
    beta: HttpServer
    post_times: dict[str, list[float]]

    def posts(self, server: HttpServer | None = None) -> list[tuple[str, str, str]]:
        """(endpoint path, source, target) of every POST, in order."""
        out = []
        for server_ in [server] if server else [self.alpha, self.beta]:
            for request in server_.requests:
                if request.method == "POST":
                    form = parse_qs(request.body.decode())
                    out.append((request.path, form["source"][0], form["target"][0]))
        return out


def receiver_routes(server: HttpServer, times: list[float]) -> None:
    def accept_post(status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
        def route(handler: Handler) -> None:
            times.append(time.monotonic())
            handler.reply(status, body, "application/json", headers)

        return route

    server.routes["/accepted"] = lambda h: h.reply(
        200, target_page("Accepted"), headers=[("Link", '</wm/accept>; rel="webmention"')]
    )
    server.routes["/accepted-too"] = lambda h: h.reply(
        200, target_page("Accepted too"), headers=[("Link", "</wm/accept?v=2>; rel=webmention")]
    )
    server.routes["/created"] = lambda h: h.reply(
        200, target_page("Created", '<link rel="webmention" href="/wm/create">')
    )
    server.routes["/rejected"] = lambda h: h.reply(
        200, target_page("Rejected", '<link rel="webmention" href="/wm/reject">')
    )
    server.routes["/failing"] = lambda h: h.reply(
        200, target_page("Failing"), headers=[("Link", "</wm/fail>; rel=webmention")]
    )
    server.routes["/slow"] = lambda h: h.reply(
        200, target_page("Slow"), headers=[("Link", "</wm/slow>; rel=webmention")]
    )
    server.routes["/plain"] = lambda h: h.reply(200, target_page("No endpoint"))
    server.routes["/wm/accept"] = accept_post(202, b'{"status":"queued"}')
    server.routes["/wm/create"] = accept_post(201, b"", [("Location", "/status/7")])
    server.routes["/wm/reject"] = accept_post(
        400,
        json.dumps(
            {"error": "no_link_found", "error_description": "Source does not link\x1b[2J here"}
        ).encode(),
    )
    server.routes["/wm/fail"] = accept_post(500, b"oops")

    def slow(handler: Handler) -> None:
        times.append(time.monotonic())
        handler.server.owner.stopping.wait(30)  # answers only when the server stops

    server.routes["/wm/slow"] = slow


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    times: dict[str, list[float]] = {"alpha": [], "beta": []}
    with HttpServer("127.0.0.2") as alpha, HttpServer("127.0.0.3") as beta:
        receiver_routes(alpha, times["alpha"])
        receiver_routes(beta, times["beta"])
        yield Receivers(alpha, beta, times)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSite]:
    with LiveSite(tmp_path / "deployed") as server:
        yield server


# --------------------------------------------------------------------------- helpers


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def send(capsys: pytest.CaptureFixture[str], site: Site, *args: str) -> tuple[int, str, str]:
    return cli(
        capsys,
        "send",
        "-f",
        str(site.config_file),
        "--allow-network",
        LOOPBACK,
        "--interval",
        "0.01",
        "--timeout",
        "3",
        *args,
    )


def blog(make_site: MakeSite, live: LiveSite, pages: dict[str, str], **options: Any) -> Site:
    # The receivers stand in for other sites on 127.0.0.1: citations only where allowed.
    site = make_site(pages, {"allow_networks": [LOOPBACK]}, site_url=live.url, **options)
    site.build()
    live.deploy(site)
    return site


def ledger_file(site: Site) -> Path:
    return site.root / "backlinks" / "ledger.json"


def records(site: Site, page: str) -> dict[str, Any]:
    return dict(load_ledger(ledger_file(site)).sends[page].targets.items())


# --------------------------------------------------------------------------- dry run


@pytest.mark.slow
def test_dry_run_prints_the_plan_and_touches_nothing(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\nSee [this]({a.url('/accepted')}) and [that]({a.url('/plain')})."},
    )
    before = ledger_file(site).read_bytes()
    code, out, err = send(capsys, site)
    assert code == 0, err
    assert f"index.md  {live.url}\n" in out
    assert f"  send  {a.url('/accepted')}  (new link)" in out
    assert "2 webmention(s) to send" in out
    assert "Dry run: nothing was fetched or sent" in out
    assert live.paths == [] and a.requests == [] and receivers.beta.requests == []
    assert ledger_file(site).read_bytes() == before


@pytest.mark.slow
def test_skipped_contacts_and_excluded_sites_are_left_out_unless_asked(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[This]({a.url('/accepted')}), [that]({b.url('/accepted')})."},
    )
    code, _out, err = cli(
        capsys, "mark", a.url("/accepted"), "--status", "skipped", "-f", str(site.config_file)
    )
    assert code == 0, err
    code, out, err = send(capsys, site, "-v")
    assert code == 0, err
    assert f"  skip  {a.url('/accepted')}  (contact marked skipped (send --include-skipped" in out
    assert f"  send  {b.url('/accepted')}  (new link)" in out
    assert "1 webmention(s) to send" in out
    code, out, err = send(capsys, site, "--include-skipped")
    assert "2 webmention(s) to send" in out
    # An excluded site is left out the same way, and the flag includes it too.
    config = yaml.safe_load(site.config_file.read_text())
    config["plugins"][0]["backlinks"]["outreach"] = {"exclude_sites": ["127.0.0.3"]}
    site.config_file.write_text(yaml.safe_dump(config))
    code, out, err = send(capsys, site, "-v")
    assert code == 0, err
    assert f"  skip  {b.url('/accepted')}  (site excluded by outreach.exclude_sites)" in out
    assert "0 webmention(s) to send" in out
    code, out, err = send(capsys, site, "--include-skipped")
    assert "2 webmention(s) to send" in out
    assert a.requests == [] and b.requests == []


@pytest.mark.slow
def test_discover_checks_live_pages_and_endpoints_but_never_posts(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[One]({a.url('/accepted')}), [two]({b.url('/plain')})."},
    )
    before = ledger_file(site).read_bytes()
    code, out, err = send(capsys, site, "--discover")
    assert code == 0, err
    assert f"ready: {live.url} -> {a.url('/accepted')}: {a.url('/wm/accept')}" in out
    assert f"no-endpoint: {live.url} -> {b.url('/plain')}" in out
    assert live.paths == ["/"]
    assert receivers.posts() == []
    assert ledger_file(site).read_bytes() == before


# --------------------------------------------------------------------------- sending


ALL_KINDS = """\
# Reading list

Thanks to [accepted]({a}/accepted), [created]({a}/created), [rejected]({a}/rejected),
[failing]({a}/failing) and [no endpoint]({b}/plain).
"""


@pytest.mark.slow
def test_send_posts_once_per_target_and_records_every_outcome(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    text = ALL_KINDS.format(a=a.url("").rstrip("/"), b=b.url("").rstrip("/"))
    site = blog(make_site, live, {"reading.md": text})
    source = live.url + "reading/"

    code, out, _ = send(capsys, site, "--yes")

    assert code == 1  # a rejection and a server error
    assert sorted(receivers.posts(a)) == [
        ("/wm/accept", source, a.url("/accepted")),
        ("/wm/create", source, a.url("/created")),
        ("/wm/fail", source, a.url("/failing")),
        ("/wm/reject", source, a.url("/rejected")),
    ]
    assert receivers.posts(b) == []
    post = next(r for r in a.requests if r.method == "POST")
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    sent = records(site, "reading.md")
    outcome = {key.rsplit("/", 1)[1]: (t.outcome, t.http_status) for key, t in sent.items()}
    assert outcome == {
        "accepted": ("accepted", 202),
        "created": ("created", 201),
        "rejected": ("rejected", 400),
        "failing": ("server-error", 500),
        "plain": ("no-endpoint", None),
    }
    created = sent[a.url("/created")]
    assert created.location == a.url("/status/7")
    assert created.endpoint == a.url("/wm/create")
    assert sent[a.url("/rejected")].reason == "Source does not link [2J here"
    assert "\x1b" not in out
    assert f"created 201: {source} -> {a.url('/created')}: {a.url('/status/7')}" in out
    assert "Done: 1 accepted, 1 created, 1 no-endpoint, 1 rejected, 1 server-error." in out


@pytest.mark.slow
def test_channel_triage_marks_the_contact_with_an_endpoint_sent(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[One]({a.url('/accepted')}), [two]({b.url('/plain')})."},
    )
    code, _, err = send(capsys, site, "--yes")
    assert code == 0, err
    ledger = load_ledger(ledger_file(site))
    alpha, beta = ledger.contacts["127.0.0.2"], ledger.contacts["127.0.0.3"]
    assert (alpha.status, alpha.reason) == ("sent", "webmention")
    assert [e.status for e in alpha.history] == ["new", "sent"]
    assert (beta.status, beta.reason, len(beta.history)) == ("new", "", 1)
    outreach = (site.root / "backlinks" / "outreach.md").read_text(encoding="utf-8")
    sent_part = outreach[outreach.index("## Sent") :]
    assert "### 127.0.0.2\n\nReason: webmention" in sent_part
    assert "### 127.0.0.3" in outreach[: outreach.index("## Sent")]  # still to write to
    review = (site.root / "backlinks" / "outreach.html").read_text(encoding="utf-8")
    assert (
        '<strong class="reason-label">Sent by:</strong> '
        '<span class="reason-text" data-search>webmention</span>'
    ) in review
    assert "Skipped:" not in review
    listed = json.loads((site.root / "backlinks" / "outreach.json").read_text(encoding="utf-8"))
    assert {row["id"]: row["reason"] for row in listed["contacts"]} == {
        "127.0.0.2": "webmention",
        "127.0.0.3": "",
    }
    # The lists are in step: a build now rewrites nothing in the data folder.
    files = {p.name: p.read_bytes() for p in (site.root / "backlinks").iterdir()}
    site.build()
    assert {p.name: p.read_bytes() for p in (site.root / "backlinks").iterdir()} == files


@pytest.mark.slow
def test_second_run_with_unchanged_pages_sends_nothing(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    site = blog(
        make_site,
        live,
        {
            "index.md": f"# Home\n\n[One]({a.url('/accepted')}), [two]({b.url('/plain')}).",
            "other.md": f"# Other\n\n[Three]({a.url('/created')}).",
        },
    )
    assert send(capsys, site, "--yes")[0] == 0
    assert len(receivers.posts()) == 2
    # A new page changes every page's navigation, but nothing a receiver sees.
    site.write("new.md", "# A new page\n\nWith no citations.")
    site.build()
    live.deploy(site)
    after_first = ledger_file(site).read_bytes()

    code, out, _ = send(capsys, site, "--yes")

    assert code == 0
    assert len(receivers.posts()) == 2
    assert "0 webmention(s) to send" in out and "Done: nothing to do." in out
    assert ledger_file(site).read_bytes() == after_first
    code, out, _ = send(capsys, site, "-v")
    assert f"  skip  {a.url('/accepted')}  (unchanged since accepted on " in out


@pytest.mark.slow
def test_failed_deliveries_are_tried_again_on_the_next_run(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[Ok]({a.url('/accepted')}), [bad]({a.url('/failing')})."},
    )
    assert send(capsys, site, "--yes")[0] == 1
    code, out, _ = send(capsys, site, "--yes")
    assert code == 1
    assert [p[0] for p in receivers.posts()] == ["/wm/accept", "/wm/fail", "/wm/fail"]
    assert "trying again after server-error on" in out


@pytest.mark.slow
def test_changed_page_is_sent_again_to_every_target_including_removed_links(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"post.md": f"# Post\n\n[Kept]({a.url('/accepted')}) and [dropped]({a.url('/created')})."},
    )
    assert send(capsys, site, "--yes")[0] == 0
    site.write("post.md", f"# Post\n\nOnly [kept]({a.url('/accepted')}) now, with more words.")
    site.build()

    # Built, not deployed: the live page still links to the dropped work.
    code, out, _ = send(capsys, site, "--yes")
    assert code == 1
    assert "the live page still links to it: deploy first" in out
    assert [p[0] for p in receivers.posts()] == ["/wm/accept", "/wm/create", "/wm/accept"]

    live.deploy(site)
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0
    source = live.url + "post/"
    assert receivers.posts()[3:] == [("/wm/create", source, a.url("/created"))]
    assert "[link removed]" in out
    told = records(site, "post.md")
    assert told[a.url("/created")].linked is False
    assert told[a.url("/accepted")].linked is True
    # Once told, the removed link is left alone, even when the page changes again.
    site.write("post.md", f"# Post\n\nOnly [kept]({a.url('/accepted')}), edited again.")
    site.build()
    live.deploy(site)
    send(capsys, site, "--yes")
    assert [p[0] for p in receivers.posts()[4:]] == ["/wm/accept"]


@pytest.mark.slow
def test_deleted_page_is_reported_and_its_targets_told(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {
            "index.md": f"# Home\n\n[One]({a.url('/accepted')}).",
            "old.md": f"# Old\n\n[Two]({a.url('/created')}) and [three]({a.url('/accepted')}).",
        },
    )
    assert send(capsys, site, "--yes")[0] == 0
    assert len(receivers.posts()) == 3
    (site.root / "docs" / "old.md").unlink()
    site.build()

    code, out, _ = send(capsys, site)
    assert code == 0
    old = live.url + "old/"
    assert f"old.md  {old} (deleted from the site)" in out
    assert f"  tell  {a.url('/created')}  (page deleted)" in out
    assert "1 deleted page(s): old.md" in out

    # Still online: nothing is told until the deploy removes it.
    code, out, _ = send(capsys, site, "--yes")
    assert code == 1 and "the page is still online: deploy first" in out
    assert len(receivers.posts()) == 3

    live.deploy(site)
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0
    assert sorted(receivers.posts()[3:]) == [
        ("/wm/accept", old, a.url("/accepted")),
        ("/wm/create", old, a.url("/created")),
    ]
    ledger = load_ledger(ledger_file(site))
    assert ledger.sends["old.md"].deleted is True
    assert not any(t.linked for t in ledger.sends["old.md"].targets.values())
    code, out, _ = send(capsys, site, "--yes")
    assert "deleted" not in out and len(receivers.posts()) == 5


def test_site_under_a_sub_path_without_directory_urls(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = make_site(
        {
            "index.md": f"# Home\n\n[One]({a.url('/accepted')}).",
            "notes/a b.md": f"# Spaced\n\n[Two](../index.md) and [three]({a.url('/created')}).",
        },
        {"allow_networks": [LOOPBACK]},
        site_url=live.url + "blog/",
        use_directory_urls=False,
    )
    site.build()
    shutil.rmtree(live.folder)
    shutil.copytree(site.site_dir, live.folder / "blog")
    code, _, err = send(capsys, site, "--yes")
    assert code == 0, err
    assert sorted(receivers.posts()) == [
        ("/wm/accept", live.url + "blog/index.html", a.url("/accepted")),
        ("/wm/create", live.url + "blog/notes/a%20b.html", a.url("/created")),
    ]


@pytest.mark.slow
def test_link_missing_from_the_live_page_is_not_sent(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": "# Home\n\nNothing cited yet."})
    site.write("index.md", f"# Home\n\nNow citing [this]({a.url('/accepted')}).")
    site.build()  # built, not deployed

    code, out, _ = send(capsys, site, "--yes")

    assert code == 1
    assert "not-live" in out and "the live page does not link to it: deploy first" in out
    assert receivers.posts() == []
    assert a.requests == []  # not even discovery
    assert records(site, "index.md")[a.url("/accepted")].outcome == "not-live"
    live.deploy(site)
    assert send(capsys, site, "--yes")[0] == 0
    assert len(receivers.posts()) == 1


@pytest.mark.slow
def test_posts_to_one_host_are_paced(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = receivers.alpha, receivers.beta
    links = ", ".join(
        f"[{n}]({server.url(path)})"
        for n, (server, path) in enumerate(
            [(a, "/accepted"), (a, "/accepted-too"), (a, "/created"), (b, "/accepted")]
        )
    )
    site = blog(make_site, live, {"index.md": f"# Home\n\n{links}."})
    started = time.monotonic()
    code, _, err = send(capsys, site, "--yes", "--interval", "0.4")
    assert code == 0, err
    assert time.monotonic() - started < 30
    alpha_times = receivers.post_times["alpha"]
    assert len(alpha_times) == 3 and len(receivers.post_times["beta"]) == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(alpha_times)]
    assert min(gaps) >= 0.35, gaps
    # The other host did not wait behind them.
    assert receivers.post_times["beta"][0] < alpha_times[-1]


@pytest.mark.slow
def test_slow_receiver_ends_in_bounded_time_and_the_rest_goes_on(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[Slow]({a.url('/slow')}) and [ok]({a.url('/accepted')})."},
    )
    started = time.monotonic()
    code, out, err = cli(
        capsys,
        "send",
        "-f",
        str(site.config_file),
        "--allow-network",
        LOOPBACK,
        "--interval",
        "0",
        "--timeout",
        "1",
        "--yes",
    )
    assert time.monotonic() - started < 15
    assert code == 1
    assert "Traceback" not in out + err
    sent = records(site, "index.md")
    assert sent[a.url("/slow")].outcome == "unreachable"
    assert sent[a.url("/accepted")].outcome == "accepted"


# --------------------------------------------------------------------------- one webmention


@pytest.mark.parametrize(
    ("path", "code", "outcome"),
    [
        ("/accepted", 0, "accepted (HTTP 202)"),
        ("/created", 0, "created (HTTP 201)"),
        ("/rejected", 1, "rejected (HTTP 400)"),
        ("/failing", 1, "server-error (HTTP 500)"),
        ("/plain", 1, "no-endpoint"),
    ],
)
def test_single_webmention_exit_status_follows_the_receiver(
    receivers: Receivers,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    code: int,
    outcome: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: nothing to record
    source = "https://me.example/post/"
    target = receivers.alpha.url(path)
    status, out, _ = cli(
        capsys, "send", "--source", source, "--target", target, "--allow-network", LOOPBACK
    )
    assert status == code
    assert out.startswith(f"{outcome}: {source} -> {target}")
    expected_posts = 0 if path == "/plain" else 1
    assert len(receivers.posts()) == expected_posts


def test_single_webmention_is_recorded_for_a_page_of_the_site(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": f"# Home\n\n[One]({a.url('/created')})."})
    code, out, _ = cli(
        capsys,
        "send",
        "-f",
        str(site.config_file),
        "--source",
        live.url,
        "--target",
        a.url("/created"),
        "--allow-network",
        LOOPBACK,
    )
    assert code == 0
    assert "Recorded in" in out
    assert records(site, "index.md")[a.url("/created")].outcome == "created"
    assert load_ledger(ledger_file(site)).contacts["127.0.0.2"].status == "sent"
    # The page is now up to date: a normal run has nothing to send.
    assert "0 webmention(s) to send" in send(capsys, site, "--yes")[1]


def test_single_webmention_from_elsewhere_is_sent_but_not_recorded(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": f"# Home\n\n[One]({a.url('/created')})."})
    before = ledger_file(site).read_bytes()
    source = "https://me.example/elsewhere/"
    args = ["send", "-f", str(site.config_file), "--source", source, "--target"]
    code, out, _ = cli(capsys, *args, a.url("/accepted"), "--allow-network", LOOPBACK)
    assert code == 0
    assert (
        out.splitlines()[1]
        == f"Not recorded: {source} is not a page in the ledger of " + str(site.config_file) + "."
    )
    assert ledger_file(site).read_bytes() == before
    # A damaged ledger stops the command before anything is sent.
    ledger_file(site).write_text("{", encoding="utf-8")
    code, _, err = cli(capsys, *args, a.url("/accepted"), "--allow-network", LOOPBACK)
    assert code == 1 and "is not valid JSON" in err
    assert len(receivers.posts()) == 1


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "ftp://me.example/", "--target", "https://x.org/"], "--source: 'ftp://"),
        (["--source", "https://me.example/", "--target", "x.org/page"], "--target: 'x.org/page'"),
        (["--source", "https://me.example/"], "--source and --target go together"),
        (["--target", "https://x.org/"], "--source and --target go together"),
    ],
)
def test_bad_urls_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "send", *args)
    assert code == 2
    assert message in err


def test_missing_site_url_and_missing_build_are_usage_errors(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    no_url = make_site({"index.md": "# Home\n\n[x](https://x.org/)."})
    no_url.build()
    code, _, err = cli(capsys, "send", "-f", str(no_url.config_file))
    assert code == 2 and "site_url is not set" in err

    unbuilt = make_site({"index.md": "# Home"}, site_url="https://me.example/")
    code, _, err = cli(capsys, "send", "-f", str(unbuilt.config_file))
    assert code == 2 and "No built site in" in err and "run mkdocs build" in err

    missing = make_site({"index.md": "# Home"})
    code, _, err = cli(capsys, "send", "-f", str(missing.root / "nope.yml"))
    assert code == 1 and "no such file" in err


def test_stale_build_is_a_usage_error(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"index.md": "# Home\n\n[x](https://x.org/)."}, site_url="https://me.ex/")
    site.build()
    (site.site_dir / "index.html").unlink()
    code, _, err = cli(capsys, "send", "-f", str(site.config_file))
    assert code == 2 and "lacks 1 page(s) the ledger cites from (first: index.md)" in err


def test_offline_refuses_to_send(
    make_site: MakeSite,
    live: LiveSite,
    receivers: Receivers,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = blog(make_site, live, {"index.md": f"# Home\n\n[x]({receivers.alpha.url('/accepted')})"})
    before = ledger_file(site).read_bytes()
    code, _, err = send(capsys, site, "--yes", "--offline")
    assert code == 2 and "send needs the network" in err
    monkeypatch.setenv("MKDOCS_BACKLINKS_OFFLINE", "1")
    code, _, err = cli(
        capsys, "send", "--source", live.url, "--target", receivers.alpha.url("/accepted")
    )
    assert code == 2 and "MKDOCS_BACKLINKS_OFFLINE" in err
    # A dry run needs no network, so it still works offline.
    assert send(capsys, site)[0] == 0
    assert live.paths == [] and receivers.posts() == []
    assert ledger_file(site).read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [["--allow-network", "10.1.2.3/16"], ["--interval", "-1"], ["--timeout", "0"]],
)
def test_bad_flags_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["send", *args])
    assert exit_info.value.code == 2


def test_damaged_ledger_stops_the_command_untouched(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"index.md": "# Home\n\n[x](https://x.org/)."}, site_url="https://me.ex/")
    site.build()
    ledger_file(site).write_text('{"schema": "mkdocs-backlinks/ledger", "version": 1,\n', "utf-8")
    before = ledger_file(site).read_bytes()
    code, _, err = cli(capsys, "send", "-f", str(site.config_file), "--yes", "--offline")
    assert code == 2  # offline is checked first
    code, _, err = cli(capsys, "send", "-f", str(site.config_file))
    assert code == 1 and "is not valid JSON" in err
    assert ledger_file(site).read_bytes() == before


# --------------------------------------------------------------------------- interrupted


@pytest.mark.slow
def test_interrupted_run_keeps_what_was_already_sent(
    make_site: MakeSite, live: LiveSite, receivers: Receivers
) -> None:
    """Ctrl-C while a receiver hangs: the real command saves what it recorded, no traceback."""
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[Ok]({a.url('/accepted')}) and [slow]({a.url('/slow')})."},
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs_backlinks.cli",
            "send",
            "-f",
            str(site.config_file),
            "--allow-network",
            LOOPBACK,
            "--interval",
            "0",
            "--timeout",
            "60",
            "--yes",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 30
        while len(receivers.post_times["alpha"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receivers.post_times["alpha"]) == 2, "the slow POST never arrived"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in err and "interrupted" in err
    assert f"accepted 202: {live.url} -> {a.url('/accepted')}" in out
    sent = records(site, "index.md")
    assert set(sent) == {a.url("/accepted")}
    assert sent[a.url("/accepted")].outcome == "accepted"
    # The next run sends only what is left.
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs_backlinks.cli",
            "send",
            "-f",
            str(site.config_file),
            "--allow-network",
            LOOPBACK,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 0
    assert f"  send  {a.url('/slow')}  (new link)" in process.stdout
    assert a.url("/accepted") + "  (" not in process.stdout


def test_a_change_made_to_the_ledger_while_send_runs_is_kept(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mark` in another terminal (or a build) while a long send run paces its POSTs: the
    run's saves start from the ledger on disk, not the one it read at the start."""
    a, b = receivers.alpha, receivers.beta
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[One]({a.url('/marking')}), [two]({b.url('/plain')})."},
    )
    path = ledger_file(site)

    def accept_and_mark(handler: Handler) -> None:
        # Someone marks the other contact while this receiver is being answered.
        save_ledger(path, mark(load_ledger(path), "127.0.0.3", "replied", "2026-01-02"))
        handler.reply(202, b"")

    a.routes["/marking"] = lambda h: h.reply(
        200, target_page("Marking"), headers=[("Link", "</wm/mark>; rel=webmention")]
    )
    a.routes["/wm/mark"] = accept_and_mark

    code, _, err = send(capsys, site, "--yes")

    assert code == 0, err
    ledger = load_ledger(path)
    assert ledger.contacts["127.0.0.3"].status == "replied"
    assert ledger.contacts["127.0.0.2"].status == "sent"
    assert records(site, "index.md")[a.url("/marking")].outcome == "accepted"


@pytest.mark.slow
def test_a_change_to_our_own_credits_section_sends_nothing_again(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The credits section is the plugin's, like the incoming-links one: its heading (or a
    cited work's title or status, refreshed from the network) changing is no change of the
    page a receiver shows, and must not resend every webmention of the site."""
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": f"# Home\n\nSee [one]({a.url('/accepted')})."})
    assert send(capsys, site, "--yes")[0] == 0
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    config["plugins"][0]["backlinks"]["strings"] = {"credits_title": "Works I cite"}
    site.config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    site.build()
    live.deploy(site)
    assert "Works I cite" in site.html("index.html")

    code, out, _ = send(capsys, site, "--yes")

    assert code == 0
    assert "0 webmention(s) to send" in out
    assert len(receivers.posts()) == 1


@pytest.mark.slow
def test_single_webmention_to_a_link_the_ledger_does_not_track_leaves_runs_clean(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page links to a URL the plugin does not track (here opted out by class); sending to it
    by hand must not leave a record that every later run tries to 'untell' and fails on."""
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {
            "index.md": f"# Home\n\n[One]({a.url('/created')}), "
            f"[two]({a.url('/accepted')}){{: .no-backlinks }}."
        },
    )
    code, out, _ = cli(
        capsys,
        "send",
        "-f",
        str(site.config_file),
        "--source",
        live.url,
        "--target",
        a.url("/accepted"),
        "--allow-network",
        LOOPBACK,
    )
    assert code == 0
    assert "Not recorded" in out and "not a citation" in out
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0, out
    assert "deploy first" not in out


@pytest.mark.slow
def test_an_article_element_in_the_page_content_is_not_taken_for_the_theme_s(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mkdocs theme's content is `role="main"`; a page may hold its own `<article>` (raw
    HTML in Markdown). The citations outside it are still on the live page, and an edit
    outside it is still a change."""
    a = receivers.alpha
    body = "# Home\n\nSee [one]({}).\n\n<article><p>A boxed aside.</p></article>\n\nMore {}.\n"
    site = blog(make_site, live, {"index.md": body.format(a.url("/accepted"), "words")})
    assert "<article>" in site.html("index.html")
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0, out
    assert [p[0] for p in receivers.posts()] == ["/wm/accept"]

    site.write("index.md", body.format(a.url("/accepted"), "and different words"))
    site.build()
    live.deploy(site)
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0, out
    assert "page changed since accepted" in out
    assert [p[0] for p in receivers.posts()] == ["/wm/accept", "/wm/accept"]


# --------------------------------------------------------------------------- redirected POSTs


def redirecting_endpoints(a: HttpServer, b: HttpServer) -> None:
    """Targets on `a` whose endpoints answer the POST with a redirect."""

    def redirect(name: str, code: int, location: str) -> None:
        a.routes[f"/{name}"] = lambda h: h.reply(
            200, target_page(name), headers=[("Link", f"</wm/{name}>; rel=webmention")]
        )
        a.routes[f"/wm/{name}"] = lambda h: h.redirect(location, code)

    # 307 and 308 keep the method in HTTP; a webmention POST follows none of them all the same.
    redirect("moved", 308, "/wm/accept")
    redirect("elsewhere", 307, b.url("/wm/create"))
    redirect("permanent", 301, "/wm/accept")
    redirect("see-other", 303, "/thanks")
    redirect("private", 307, "http://10.255.255.1/wm")


@pytest.mark.slow
def test_a_post_answered_with_a_redirect_is_recorded_and_never_followed(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spec 3.1.3 counts only a 2xx as success, and asks for redirects to be followed only
    when the target is fetched (3.1.2): an endpoint that redirects the POST did not take the
    webmention, and the form is posted nowhere else. (Before, a 307 or 308 was posted again
    wherever its Location pointed.) An endpoint that moved says so by advertising the new one,
    which the next run discovers."""
    a, b = receivers.alpha, receivers.beta
    redirecting_endpoints(a, b)
    names = ["moved", "elsewhere", "permanent", "see-other", "private"]
    links = ", ".join(f"[{name}]({a.url('/' + name)})" for name in names)
    site = blog(make_site, live, {"index.md": f"# Home\n\n{links}.\n"})

    code, out, _ = send(capsys, site, "--yes")

    assert code == 1  # none was delivered
    sent = records(site, "index.md")
    outcome = {key.rsplit("/", 1)[1]: (t.outcome, t.http_status) for key, t in sent.items()}
    assert outcome == {
        "moved": ("redirected", 308),
        "elsewhere": ("redirected", 307),
        "permanent": ("redirected", 301),
        "see-other": ("redirected", 303),
        "private": ("redirected", 307),
    }
    # One POST each, to the endpoint advertised; nothing to any Location, POST or GET.
    assert sorted(p[0] for p in receivers.posts(a)) == sorted(f"/wm/{name}" for name in names)
    assert receivers.posts(b) == [] and b.requests == []
    assert not [r for r in a.requests if r.path in ("/wm/accept", "/thanks")]
    assert sent[a.url("/moved")].endpoint == a.url("/wm/moved")
    assert sent[a.url("/moved")].reason == f"HTTP 308 to {a.url('/wm/accept')}, not followed"
    assert sent[a.url("/elsewhere")].reason == f"HTTP 307 to {b.url('/wm/create')}, not followed"
    assert "Done: 5 redirected." in out

    # The receiver of "moved" now advertises where its endpoint went: the next run goes there
    # (discovery is done afresh each run); the others are tried again, once each.
    a.routes["/moved"] = lambda h: h.reply(
        200, target_page("moved"), headers=[("Link", "</wm/accept>; rel=webmention")]
    )
    code, out, _ = send(capsys, site, "--yes")
    assert code == 1
    assert out.count("trying again after redirected on") == 5
    assert records(site, "index.md")[a.url("/moved")].outcome == "accepted"
    assert sorted(p[0] for p in receivers.posts(a)[5:]) == sorted(
        ["/wm/accept"] + [f"/wm/{name}" for name in names[1:]]
    )
    assert b.requests == []


def test_the_sender_posts_once_to_an_endpoint_that_redirects(receivers: Receivers) -> None:
    a, b = receivers.alpha, receivers.beta
    a.routes["/wm/elsewhere"] = lambda h: h.redirect(b.url("/wm/accept"), 307)
    options = HttpOptions(
        connect_timeout=1.0, read_timeout=1.0, deadline=3.0, retries=0,
        allow_networks=(ip_network(LOOPBACK),),
    )  # fmt: skip
    with HttpClient(options) as client:
        sender = Sender(client, interval=0.0)
        moved = sender.post(
            "https://me.example/a/", "https://them.example/1", a.url("/wm/elsewhere")
        )
    assert (moved.outcome, moved.http_status, moved.endpoint) == (
        "redirected",
        307,
        a.url("/wm/elsewhere"),
    )
    assert [p[0] for p in receivers.posts()] == ["/wm/elsewhere"]
    assert b.requests == []


# --------------------------------------------------------------------------- Retry-After


def busy_receivers(a: HttpServer, b: HttpServer) -> None:
    """`a`'s /busy answers 429 Retry-After: 3600; `b`'s /down 503 with an HTTP date two hours
    ahead. Both hosts have other targets whose endpoints answer 202 (/created on `a`,
    /accepted on `b`)."""
    a.routes["/busy"] = lambda h: h.reply(
        200, target_page("Busy"), headers=[("Link", "</wm/busy>; rel=webmention")]
    )
    a.routes["/wm/busy"] = lambda h: h.reply(
        429, b"slow down", "text/plain", [("Retry-After", "3600")]
    )
    b.routes["/down"] = lambda h: h.reply(
        200, target_page("Down"), headers=[("Link", "</wm/down>; rel=webmention")]
    )

    def down(handler: Handler) -> None:
        when = email.utils.format_datetime(
            datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True
        )
        handler.reply(503, b"maintenance", "text/plain", [("Retry-After", when)])

    b.routes["/wm/down"] = down


@pytest.mark.slow
def test_a_receiver_s_retry_after_is_kept_across_runs(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """A receiver that answered 429 (or 503) with Retry-After is asked nothing more until then:
    not by the rest of the run (another target on the same endpoint host waits), not by the
    next run, whose plan says until when. (Before, every run posted to it again.)"""
    a, b = receivers.alpha, receivers.beta
    busy_receivers(a, b)
    site = blog(
        make_site,
        live,
        {
            "index.md": f"# Home\n\n[Busy]({a.url('/busy')}), [two]({a.url('/created')}), "
            f"[down]({b.url('/down')}).",
            # Sent before index.md (pages go in order): beta took one before its pause.
            "a-first.md": f"# First\n\n[Fine]({b.url('/accepted')}).",
        },
    )
    started = datetime.now(timezone.utc)

    code, out, _ = send(capsys, site, "--yes")

    assert code == 1
    # One POST each to the hosts that asked for a pause, and none after it on that host.
    assert [p[0] for p in receivers.posts(a)] == ["/wm/busy"]
    assert sorted(p[0] for p in receivers.posts(b)) == ["/wm/accept", "/wm/down"]
    sent = records(site, "index.md")
    busy, down = sent[a.url("/busy")], sent[b.url("/down")]
    assert (busy.outcome, busy.http_status, down.outcome, down.http_status) == (
        "server-error",
        429,
        "server-error",
        503,
    )
    hour = datetime.fromisoformat(busy.not_before.replace("Z", "+00:00")) - started
    assert timedelta(minutes=59) < hour <= timedelta(hours=1, minutes=1)
    two = datetime.fromisoformat(down.not_before.replace("Z", "+00:00")) - started
    assert timedelta(hours=1, minutes=59) < two <= timedelta(hours=2, minutes=1)
    assert a.url("/created") not in sent  # held back, not recorded: still to send
    assert f"waiting: {live.url} -> {a.url('/created')}: the receiver asked to wait until " in out

    # The next run: the plan says until when, for beta's other target too (its page changed,
    # but its endpoint host asked for the pause), and nothing is posted to either host.
    site.write("a-first.md", f"# First\n\n[Fine]({b.url('/accepted')}), now edited.")
    site.build()
    live.deploy(site)
    code, out, _ = send(capsys, site)
    assert f"  wait  {a.url('/busy')}  (the receiver asked to wait until {busy.not_before})" in out
    assert f"  wait  {b.url('/down')}  (the receiver asked to wait until {down.not_before})" in out
    assert (
        f"  wait  {b.url('/accepted')}  (the receiver asked to wait until {down.not_before})" in out
    )
    assert "3 waiting until their receiver's Retry-After" in out
    posts = len(receivers.posts())
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0, out
    assert len(receivers.posts()) == posts
    assert out.count("waiting: ") == 1  # the new link to alpha, held once its endpoint is known
    assert records(site, "index.md")[a.url("/busy")] == busy


# --------------------------------------------------------------------------- the journal


def test_a_second_send_while_one_is_sending_is_refused(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": f"# Home\n\n[One]({a.url('/accepted')})."})
    running = Journal.take(site.root / "backlinks")  # what a run sending right now holds
    try:
        code, _, err = send(capsys, site, "--yes")
    finally:
        running.close()
    assert code == 2
    assert "Another 'mkdocs-backlinks send --yes' is sending for this site" in err
    assert receivers.posts() == [] and a.requests == []
    assert send(capsys, site, "--yes")[0] == 0
    assert len(receivers.posts()) == 1


def test_a_damaged_journal_stops_send_and_is_left_alone(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    a = receivers.alpha
    site = blog(make_site, live, {"index.md": f"# Home\n\n[One]({a.url('/accepted')})."})
    journal = site.root / "backlinks" / JOURNAL_FILE
    journal.write_text("{not json\n{}\n", encoding="utf-8")
    for args in [(), ("--yes",)]:
        code, out, err = send(capsys, site, *args)
        assert code == 1
        assert f"The send journal {journal} is damaged at line 1" in err
        assert "Traceback" not in out + err
    assert journal.read_text(encoding="utf-8") == "{not json\n{}\n"
    assert a.requests == []


@pytest.mark.slow
def test_a_single_webmention_records_an_interrupted_run_s_outcomes_first(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """A killed run's journal says `created` failed; the author then sends it by hand. Folded
    in later, the journal's older outcome would overwrite the new one, and `created` would be
    sent a second time."""
    a = receivers.alpha
    site = blog(
        make_site,
        live,
        {"index.md": f"# Home\n\n[One]({a.url('/created')}), [two]({a.url('/accepted')})."},
    )
    digest = send_plan_digest(site)
    killed = Journal.take(site.root / "backlinks")
    killed.begin({})
    for path, outcome, status in [
        ("/created", "server-error", 500),
        ("/accepted", "accepted", 202),
    ]:
        step = Step("index.md", live.url, a.url(path), a.url(path), "send", "new link", digest)
        killed.note(step, Delivery(outcome, a.url(path), status), "2026-01-01")
    killed.close()  # as a killed process leaves it: the lines stay

    code, out, _ = cli(
        capsys, "send", "-f", str(site.config_file), "--source", live.url,
        "--target", a.url("/created"), "--allow-network", LOOPBACK,
    )  # fmt: skip

    assert code == 0, out
    assert "Recorded 2 outcome(s) of an interrupted run" in out
    assert not (site.root / "backlinks" / JOURNAL_FILE).exists()
    sent = records(site, "index.md")
    assert (sent[a.url("/created")].outcome, sent[a.url("/accepted")].outcome) == (
        "created",
        "accepted",
    )
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0 and "0 webmention(s) to send" in out
    assert [p[0] for p in receivers.posts()] == ["/wm/create"]


def send_plan_digest(site: Site) -> str:
    """The digest a plan gives the built index page (what a run records with its outcome)."""
    ledger = load_ledger(ledger_file(site))
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    built = read_built_site(
        ["index.md"], config["site_url"], str(site.root / "docs"), str(site.site_dir), True
    )
    digest = built.digests["index.md"]
    assert digest and "index.md" not in ledger.sends
    return digest


# --------------------------------------------------------------------------- moved pages


def reconfigure(site: Site, **changes: Any) -> None:
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    site.config_file.write_text(yaml.safe_dump({**config, **changes}), encoding="utf-8")


POST = "# Post\n\n[One]({one}) and [two]({two}).\n"


def moved_blog(
    make_site: MakeSite,
    live: LiveSite,
    receivers: Receivers,
    capsys: pytest.CaptureFixture[str],
    how: str = "use_directory_urls",
) -> tuple[Site, str, str]:
    """A page sent from `/post/`, then built with `use_directory_urls: false` (`/post.html`)
    or under a new `site_url` (`/v2/post/`)."""
    a = receivers.alpha
    pages = {
        "index.md": "# Home\n",
        "post.md": POST.format(one=a.url("/accepted"), two=a.url("/created")),
    }
    site = blog(make_site, live, pages)
    assert send(capsys, site, "--yes")[0] == 0
    old, new = live.url + "post/", live.url + "post.html"
    assert sorted(receivers.posts()) == [
        ("/wm/accept", old, a.url("/accepted")),
        ("/wm/create", old, a.url("/created")),
    ]
    if how == "site_url":
        reconfigure(site, site_url=live.url + "v2/")
        new = live.url + "v2/post/"
    else:
        reconfigure(site, use_directory_urls=False)
    site.build()
    return site, old, new


@pytest.mark.slow
@pytest.mark.parametrize("how", ["use_directory_urls", "site_url"])
def test_a_moved_page_tells_the_receivers_its_old_address_is_gone_once_it_answers_404(
    make_site: MakeSite,
    live: LiveSite,
    receivers: Receivers,
    capsys: pytest.CaptureFixture[str],
    how: str,
) -> None:
    """Receivers hold mentions from the old URL: they used to keep them next to the new ones,
    because nothing ever posted from the old URL again."""
    a = receivers.alpha
    site, old, new = moved_blog(make_site, live, receivers, capsys, how)
    accepted, created = a.url("/accepted"), a.url("/created")

    code, out, _ = send(capsys, site)
    assert code == 0
    assert f"{old}  (old address of a moved page)" in out
    assert f"  tell  {accepted}  (old address of post.md, now {new})" in out
    assert f"post.md  {new}" in out and f"  send  {created}  (page moved from {old})" in out
    assert f"1 old address(es) of moved pages: {old}." in out

    # Not deployed yet: the old address still serves the page, so nobody is told anything.
    code, out, _ = send(capsys, site, "--yes")
    assert code == 1 and "the old address still serves a page" in out
    assert len(receivers.posts()) == 2

    live.deploy(site, "v2" if how == "site_url" else "")  # /post/ is gone (404)
    code, out, err = send(capsys, site, "--yes")
    assert code == 0, out + err
    assert sorted(receivers.posts()[2:]) == sorted(
        [
            ("/wm/accept", new, accepted),
            ("/wm/accept", old, accepted),
            ("/wm/create", new, created),
            ("/wm/create", old, created),
        ]
    )
    ledger = load_ledger(ledger_file(site))
    assert ledger.sends["post.md"].source == new
    assert all(t.linked for t in ledger.sends["post.md"].targets.values())
    assert ledger.sends[old].deleted is True
    assert not any(t.linked for t in ledger.sends[old].targets.values())

    # Told once: later runs leave the old address alone, and a build keeps its record.
    site.build()
    code, out, _ = send(capsys, site, "--yes")
    assert code == 0 and old not in out and len(receivers.posts()) == 6
    assert load_ledger(ledger_file(site)).sends[old] == ledger.sends[old]


@pytest.mark.slow
def test_an_old_address_that_redirects_to_the_new_one_is_told_too(
    make_site: MakeSite, live: LiveSite, receivers: Receivers, capsys: pytest.CaptureFixture[str]
) -> None:
    """A receiver verifies the source following redirects (Webmention 3.2.2): posting from
    the old URL lets it find the page where it went, or the link gone."""
    a = receivers.alpha
    site, old, new = moved_blog(make_site, live, receivers, capsys)
    live.deploy(site)
    live.redirects["/post/"] = "/post.html"
    code, out, err = send(capsys, site, "--yes")
    assert code == 0, out + err
    assert "/post/" in live.paths  # the old address was checked, and redirected
    assert {source for _, source, _ in receivers.posts()[2:]} == {old, new}
    assert sorted(p for p in receivers.posts()[2:] if p[1] == old) == [
        ("/wm/accept", old, a.url("/accepted")),
        ("/wm/create", old, a.url("/created")),
    ]
    assert load_ledger(ledger_file(site)).sends[old].deleted is True
