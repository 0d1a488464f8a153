"""`mkdocs-backlinks review`: the review server on 127.0.0.1, over real sockets.

Each test builds a small site with `mkdocs build`, starts the server on a free port of
127.0.0.1 (in a thread of the test, or as the installed command), and talks to it with
`http.client`, which lets a test send the Host, Origin and Sec-Fetch-Site headers a browser
would, or an attacker's page would. What an action did is read back from the files on disk.
The browser test drives Debian's Chromium with Playwright, as a person would use the page.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from mkdocs_backlinks.cli.common import load_plugin
from mkdocs_backlinks.cli.main import main
from mkdocs_backlinks.cli.outreach import outreach_settings
from mkdocs_backlinks.outreach.review_server import ReviewDesk, ReviewServer, ReviewSite

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.conftest import MakeSite, Site

PAGES = {
    "index.md": "# Home\n\nRead [the guide](https://alpha.org/guide) and [Beta](https://beta.net/).\n",
    "notes.md": "# Notes\n\nThe [paper](https://gamma.io/paper) explains it well.\n",
}
DAY1 = "1700000000"  # 2023-11-14


@pytest.fixture
def site(make_site: MakeSite, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", DAY1)
    built = make_site(PAGES, site_url="https://example.com/", site_author="Pat Doe")
    built.build()
    return built


class Running:
    """A review server for `site`, serving from a thread of the test."""

    def __init__(self, site: Site) -> None:
        plugin, config = load_plugin(str(site.config_file))
        self.ledger = site.root / "backlinks" / "ledger.json"
        desk = ReviewDesk(ReviewSite(self.ledger, outreach_settings(plugin, config)))
        self.server = ReviewServer(desk, "127.0.0.1", 0)
        self.port = self.server.server_address[1]
        self.token = self.server.token
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, decoded body): JSON as an object, HTML as text."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}"}
        if token:
            sent["X-Review-Token"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        kind = response.getheader("Content-Type") or ""
        return response.status, json.loads(raw) if "json" in kind else raw.decode()

    def contact(self, contact_id: str) -> dict[str, Any]:
        contacts: dict[str, Any] = read_ledger(self.ledger)["contacts"]
        return contacts[contact_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def read_ledger(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture
def running(site: Site) -> Iterator[Running]:
    server = Running(site)
    yield server
    server.close()


# --------------------------------------------------------------------------- refusals


def test_the_page_needs_the_token(running: Running) -> None:
    status, page = running.request("GET", f"/?token={running.token}", token=False)
    assert status == 200
    assert 'data-id="alpha.org"' in page
    assert "connect-src 'self'" in page
    status, answer = running.request("GET", "/", token=False)
    assert status == 403
    assert "token" in answer["error"]
    status, _ = running.request("GET", "/?token=wrong" + running.token[5:], token=False)
    assert status == 403
    status, _ = running.request("GET", "/", headers={"X-Review-Token": "nope"}, token=False)
    assert status == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:1"},  # another server on this machine
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Host": "rebound.example:80"},  # DNS rebinding: the attacker's name, our address
        {"Host": "127.0.0.1"},  # the right address, another port
    ],
    ids=lambda h: next(iter(h.items()))[0] + "=" + next(iter(h.values())),
)
def test_foreign_requests_are_refused_and_change_nothing(
    running: Running, headers: dict[str, str]
) -> None:
    before = running.ledger.read_bytes()
    status, _ = running.request("GET", "/", headers=headers)
    assert status == 403
    body = {"id": "alpha.org", "status": "sent"}
    status, answer = running.request("POST", "/api/mark", body, headers=headers)
    assert status == 403, answer
    assert running.ledger.read_bytes() == before


def test_same_origin_requests_pass(running: Running) -> None:
    origin = {"Origin": f"http://127.0.0.1:{running.port}", "Sec-Fetch-Site": "same-origin"}
    status, _ = running.request("GET", "/", headers=origin)
    assert status == 200
    status, _ = running.request("GET", "/", headers={"Host": f"localhost:{running.port}"})
    assert status == 200


def test_actions_are_json_posts_of_bounded_size(running: Running) -> None:
    before = running.ledger.read_bytes()
    status, _ = running.request("GET", "/api/mark?id=alpha.org&status=sent")
    assert status == 405
    # A form post (what a page elsewhere could send without asking) is not JSON.
    status, _ = running.request(
        "POST",
        "/api/mark",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "9"},
    )
    assert status == 415
    status, answer = running.request("POST", "/api/mark", ["alpha.org"])
    assert (status, answer["error"]) == (400, "the body must be a JSON object")
    # Refused on its Content-Length, before a byte of the body is read.
    status, _ = running.request(
        "POST",
        "/api/mark",
        headers={"Content-Type": "application/json", "Content-Length": str(10**9)},
    )
    assert status == 413
    status, answer = running.request(
        "POST", "/api/mark", {"id": "alpha.org", "status": "skipped", "reason": "x" * 501}
    )
    assert (status, answer["error"]) == (400, "the reason is longer than 500 characters")
    status, answer = running.request("POST", "/api/mark", {"id": "alpha.org", "status": "new"})
    assert status == 400 and "unknown status" in answer["error"]
    status, answer = running.request(
        "POST", "/api/mark", {"id": "nobody.example", "status": "sent"}
    )
    assert status == 400 and "No contact 'nobody.example'" in answer["error"]
    status, answer = running.request("POST", "/api/mark", {"id": 3, "status": "sent"})
    assert status == 400 and answer["error"] == "'id' must be a string"
    assert running.ledger.read_bytes() == before


# --------------------------------------------------------------------------- actions


def test_mark_undo_and_the_lists(running: Running, site: Site) -> None:
    status, answer = running.request("POST", "/api/mark", {"id": "alpha.org", "status": "sent"})
    assert status == 200
    assert answer["contact"]["status"] == "sent"
    assert answer["contact"]["told"] == "last told 2023-11-14"
    assert answer["counts"]["sent"] == 1 and answer["counts"]["new"] == 2
    alpha = running.contact("alpha.org")
    assert alpha["status"] == "sent"
    assert [e["status"] for e in alpha["history"]] == ["new", "sent"]
    # The lists are rewritten as `mark` rewrites them.
    listed = json.loads((site.root / "backlinks" / "outreach.json").read_text())
    assert {c["id"]: c["status"] for c in listed["contacts"]}["alpha.org"] == "sent"
    # No temporary file left beside them: every write was whole.
    assert not [p.name for p in (site.root / "backlinks").iterdir() if p.name.startswith(".")]

    # The same status again changes nothing and says so.
    text = running.ledger.read_bytes()
    status, answer = running.request("POST", "/api/mark", {"id": "alpha.org", "status": "sent"})
    assert (status, answer["message"]) == (200, "already sent; nothing changed")
    assert running.ledger.read_bytes() == text

    status, answer = running.request(
        "POST", "/api/mark", {"id": "beta.net", "status": "skipped", "reason": "a shop"}
    )
    assert (answer["contact"]["status"], answer["contact"]["reason"]) == ("skipped", "a shop")
    assert running.contact("beta.net")["reason"] == "a shop"

    status, answer = running.request("POST", "/api/undo", {"id": "beta.net"})
    assert (status, answer["contact"]["status"], answer["message"]) == (
        200,
        "new",
        "undone: back to new",
    )
    assert running.contact("beta.net")["status"] == "new"
    assert [e["status"] for e in running.contact("beta.net")["history"]] == ["new"]
    status, answer = running.request("POST", "/api/undo", {"id": "beta.net"})
    assert answer["message"] == "nothing to undo"
    status, answer = running.request("POST", "/api/undo", {"id": "alpha.org"})
    assert running.contact("alpha.org")["status"] == "new"

    # A replied contact never marked sent does not read "never told".
    running.request("POST", "/api/mark", {"id": "gamma.io", "status": "replied"})
    status, page = running.request("GET", "/")
    card = page[page.index('data-id="gamma.io"') :]
    card = card[: card.index("</article>")]
    assert "they replied (no note marked sent)" in card
    assert "never" not in card


def test_counts_after_a_click_are_the_lists_counts(make_site: MakeSite) -> None:
    """A reference site (credited, not listed) and an excluded site are in the ledger but not
    in the lists: the counts a click answers with must be the lists' own, not the ledger's."""
    pages = {
        "index.md": "# Home\n\nSee [Webmention](https://en.wikipedia.org/wiki/Webmention), "
        "[Ada](https://ada.example/post) and [a shop](https://shop.example/).\n",
    }
    site = make_site(
        pages,
        {"outreach": {"exclude_sites": ["shop.example"]}},
        site_url="https://me.example/",
        site_author="Pat Doe",
    )
    site.build()
    server = Running(site)
    try:
        ledger = read_ledger(server.ledger)["contacts"]
        assert {"en.wikipedia.org", "ada.example", "shop.example"} <= set(ledger)
        status, answer = server.request(
            "POST", "/api/mark", {"id": "ada.example", "status": "sent"}
        )
        assert status == 200
        listed = json.loads((site.root / "backlinks" / "outreach.json").read_text())
        assert [c["id"] for c in listed["contacts"]] == ["ada.example"]
        assert answer["counts"] == listed["summary"]["by_status"]
        assert answer["counts"]["new"] == 0 and answer["counts"]["sent"] == 1
    finally:
        server.close()


def test_edited_note_is_kept_and_shown(running: Running, site: Site) -> None:
    body = "Hi Alpha,\n\nThanks for the guide & more <b>.\n\nPat"
    status, answer = running.request(
        "POST", "/api/note", {"id": "alpha.org", "subject": "Your guide", "body": body}
    )
    assert status == 200
    assert answer["note"] == {"subject": "Your guide", "body": body + "\n"}
    saved = json.loads((site.root / "backlinks" / "note-edits.json").read_text())
    assert saved["notes"]["alpha.org"]["body"] == body + "\n"
    status, page = running.request("GET", "/")
    assert "Thanks for the guide &amp; more &lt;b&gt;." in page
    assert '<span class="badge edited">edited</span>' in page
    # Bad input: a subject of two lines, control characters.
    status, answer = running.request(
        "POST", "/api/note", {"id": "alpha.org", "subject": "a\nb", "body": "x"}
    )
    assert (status, answer["error"]) == (400, "the subject must be one line")
    status, answer = running.request(
        "POST", "/api/note", {"id": "alpha.org", "subject": "a", "body": "x\x00y"}
    )
    assert status == 400
    # Back to the generated note.
    status, answer = running.request("POST", "/api/note", {"id": "alpha.org", "reset": True})
    assert status == 200 and "Thanks for the guide" not in answer["note"]["body"]
    saved = json.loads((site.root / "backlinks" / "note-edits.json").read_text())
    assert saved["notes"] == {}


def test_a_mark_from_the_terminal_and_a_click_both_survive(
    running: Running, site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    running.request("GET", "/")  # the page is open
    assert main(["mark", "beta.net", "--status", "sent", "-f", str(site.config_file)]) == 0
    status, _ = running.request("POST", "/api/mark", {"id": "alpha.org", "status": "replied"})
    assert status == 200
    assert running.contact("beta.net")["status"] == "sent"
    assert running.contact("alpha.org")["status"] == "replied"
    assert main(["mark", "beta.net", "--status", "sent", "-f", str(site.config_file)]) == 0
    assert "beta.net: already sent; nothing changed" in capsys.readouterr().out
    assert [e["status"] for e in running.contact("beta.net")["history"]] == ["new", "sent"]


# --------------------------------------------------------------------------- the command


def _start_command(site: Site, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mkdocs_backlinks.cli.main", "review", "--no-browser", *args],
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": DAY1},
    )


@pytest.mark.slow
def test_the_command_listens_on_loopback_with_a_random_port(site: Site) -> None:
    process = _start_command(site)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.fullmatch(
            r"Review page: (http://127\.0\.0\.1:(\d+)/\?token=([\w-]{30,}))\n", line
        )
        assert found, line
        parts = urlsplit(found[1])
        connection = http.client.HTTPConnection("127.0.0.1", int(found[2]), timeout=30)
        connection.request("GET", f"/?{parts.query}")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_every_address_at_once_is_refused(
    site: Site, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["review", "--no-browser", "--host", host, "-f", str(site.config_file)])
    assert code == 2
    assert "listens on every address" in capsys.readouterr().err


def test_review_before_any_build(make_site: MakeSite, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = make_site(PAGES)
    assert main(["review", "--no-browser", "-f", str(fresh.config_file)]) == 1
    assert "run mkdocs build first" in capsys.readouterr().err


# --------------------------------------------------------------------------- in Chromium


def _card(page: Page, contact_id: str) -> Any:
    return page.locator(f'article[data-id="{contact_id}"]')


@pytest.mark.slow
def test_review_in_the_browser(browser: Browser, running: Running, site: Site) -> None:
    context = browser.new_context()
    context.set_default_timeout(10000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    url = running.server.url
    expect = pytest.importorskip("playwright.sync_api").expect
    page.goto(url)
    assert page.locator("article.contact").count() == 3

    # A click on "Sent" saves to the ledger and the card shows it at once.
    alpha = _card(page, "alpha.org")
    alpha.locator('button.act[data-action="sent"]').click()
    expect(_card(page, "alpha.org")).to_have_attribute("data-status", "sent")
    assert alpha.locator(".badge.status").inner_text() == "sent"
    assert alpha.locator(".told").inner_text() == "last told 2023-11-14"
    assert running.contact("alpha.org")["status"] == "sent"
    assert page.locator('[data-count="sent"]').inner_text() == "1"
    page.reload()
    assert _card(page, "alpha.org").get_attribute("data-status") == "sent"

    # Keys: j moves to the first card (new ones first), j again to the second, k back; s
    # marks the current one sent.
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.id") == "gamma.io"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.id") == "beta.net"
    page.keyboard.press("s")
    expect(_card(page, "beta.net")).to_have_attribute("data-status", "sent")
    assert running.contact("beta.net")["status"] == "sent"
    # u takes it back.
    page.keyboard.press("u")
    expect(_card(page, "beta.net")).to_have_attribute("data-status", "new")
    assert running.contact("beta.net")["status"] == "new"
    # x asks for the reason; Enter saves the skip.
    page.keyboard.press("x")
    page.keyboard.type("only a shop")
    page.keyboard.press("Enter")
    expect(_card(page, "beta.net")).to_have_attribute("data-status", "skipped")
    beta = running.contact("beta.net")
    assert (beta["status"], beta["reason"]) == ("skipped", "only a shop")
    assert _card(page, "beta.net").locator(".reason-text").inner_text() == "only a shop"

    # Edit a note: saved beside the ledger, shown in the card and in the mailto, kept on reload.
    gamma = _card(page, "gamma.io")
    gamma.get_by_role("button", name="Edit note").click()
    gamma.locator(".edit-body").fill("Hi Gamma,\n\nYour paper helped.\n\nPat")
    gamma.get_by_role("button", name="Save note").click()
    expect(gamma.locator("pre.note")).to_have_text(re.compile(r"^Hi Gamma,"))
    assert not gamma.locator(".editor").is_visible()
    page.reload()
    assert _card(page, "gamma.io").locator("pre.note").inner_text().startswith("Hi Gamma,")
    edits = json.loads((site.root / "backlinks" / "note-edits.json").read_text())
    assert edits["notes"]["gamma.io"]["body"] == "Hi Gamma,\n\nYour paper helped.\n\nPat\n"
    assert errors == []
    context.close()
