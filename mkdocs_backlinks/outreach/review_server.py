"""The review server behind `mkdocs-backlinks review`: the review page, with buttons that save.

A small HTTP server from the standard library, meant for one person on their own machine. It
serves the review page (`formats.render_html` with a `ServedPage`) and takes four actions as
JSON posts: mark, undo, edit a note, and reset an edited note. Each action reads the ledger
afresh under the data folder's lock, changes it as `mkdocs-backlinks mark` does and saves it
with the lists beside it, so a `mark` run in a terminal meanwhile, or a build, is never lost.

The ledger is private and the actions change it, so every request must prove it comes from
the page this server made:

- the secret token from the printed address, in the query (`?token=`) or the
  `X-Review-Token` header, compared in constant time;
- a `Host` header naming the address the server listens on (a web page elsewhere that points
  a name of its own at 127.0.0.1, "DNS rebinding", sends its own name);
- no `Origin` but this server's, and no `Sec-Fetch-Site: cross-site` or `same-site` (another
  page on 127.0.0.1 at another port is "same-site");
- actions by POST only, with a JSON body of bounded size.

Anything else gets 403 (or 405, 411, 413, 415) and changes nothing.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mkdocs_backlinks.files import locked
from mkdocs_backlinks.ledger.contacts import find_contact, mark, undo
from mkdocs_backlinks.ledger.file import load_ledger
from mkdocs_backlinks.ledger.model import MARKABLE, STATUSES, Contact, Ledger, LedgerError
from mkdocs_backlinks.outreach.desk import build_date
from mkdocs_backlinks.outreach.formats import ServedPage, render_html
from mkdocs_backlinks.outreach.lists import save_with_lists
from mkdocs_backlinks.outreach.note_edits import (
    NoteEdit,
    NoteEditsError,
    check_edit,
    load_edits,
    save_edit,
)
from mkdocs_backlinks.outreach.notes import NoteWriter
from mkdocs_backlinks.outreach.records import Note
from mkdocs_backlinks.outreach.report import build_report, is_listed
from mkdocs_backlinks.outreach.settings import Settings

PAGE_SIZE = 100
"""Contacts per page of the served review page: each in full, so a page stays light."""

MAX_BODY = 512 * 1024
"""Largest JSON body an action may post (an edited note is the largest)."""

MAX_REASON = 500
"""Longest reason kept for a mark from the page."""

TOKEN_HEADER = "X-Review-Token"  # noqa: S105 (a header name, not a secret)

LOOPBACK = ("127.0.0.1", "localhost", "::1")

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ActionError(ValueError):
    """An action that cannot be done as asked; the message says why, for the page to show."""


@dataclass(frozen=True)
class ReviewSite:
    """What the server works on: the ledger's path and the outreach settings, as the
    commands read them from `mkdocs.yml`."""

    ledger: Path
    settings: Settings

    @property
    def folder(self) -> Path:
        return self.ledger.parent


class ReviewDesk:
    """The review page and its actions, on one site's data folder.

    One action at a time: the folder lock (`files.locked`) keeps other processes out, but it
    is counted per process, not per thread, so threads of this server queue on a lock of its
    own first.
    """

    def __init__(self, site: ReviewSite, today: Callable[[], str] | None = None) -> None:
        self.site = site
        self.writer = NoteWriter(site.settings.note_template, site.settings.template_cache)
        # Today as a build would date it, asked at each action: a server left open overnight
        # dates the next morning's marks right.
        self._today = today or build_date
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the page

    def page(self, token: str, offset: int) -> str:
        """The review page, read from the ledger as it is now."""
        settings = self._settings()
        ledger = load_ledger(self.site.ledger)
        report = build_report(ledger, settings, self.writer)
        edits = {key: edit.note for key, edit in load_edits(self.site.folder).items()}
        served = ServedPage(token=token, offset=offset, page_size=PAGE_SIZE, edits=edits)
        return render_html(report, served, settings.template_cache)

    # ------------------------------------------------------------------ the actions

    def mark(self, contact_id: str, status: str, reason: str) -> dict[str, Any]:
        if status not in MARKABLE:
            raise ActionError(f"unknown status '{status}'; use one of: {', '.join(MARKABLE)}")
        if len(reason) > MAX_REASON:
            raise ActionError(f"the reason is longer than {MAX_REASON} characters")
        with self._lock, locked(self.site.folder):
            ledger = load_ledger(self.site.ledger)
            contact = find_contact(ledger, contact_id)
            changed = mark(ledger, contact.id, status, self._today(), reason.strip())
            if changed is ledger:
                return self._answer(ledger, contact.id, f"already {status}; nothing changed")
            saved = self._save(changed)
        return self._answer(saved, contact.id, f"marked {status}")

    def undo(self, contact_id: str) -> dict[str, Any]:
        with self._lock, locked(self.site.folder):
            ledger = load_ledger(self.site.ledger)
            contact = find_contact(ledger, contact_id)
            changed = undo(ledger, contact.id)
            if changed is ledger:
                return self._answer(ledger, contact.id, "nothing to undo")
            saved = self._save(changed)
        status = saved.contacts[contact.id].status
        return self._answer(saved, contact.id, f"undone: back to {status}")

    def edit_note(self, contact_id: str, subject: str | None, body: str | None) -> dict[str, Any]:
        """Keep the author's version of a note (None for both: back to the generated one)."""
        with self._lock:
            ledger = load_ledger(self.site.ledger)
            contact = find_contact(ledger, contact_id)
            edit = None
            if subject is not None and body is not None:
                edit = NoteEdit(subject.strip(), body.rstrip() + "\n", self._today())
                try:
                    check_edit(edit.subject, edit.body)
                except ValueError as exc:
                    raise ActionError(str(exc)) from exc
            edits = save_edit(self.site.folder, contact.id, edit)
        answer = self._answer(ledger, contact.id, "note saved" if edit else "generated note back")
        if edit is not None:
            answer["note"] = {"subject": edit.subject, "body": edit.body}
        else:
            kept = edits.get(contact.id)
            note = kept.note if kept else self._generated_note(ledger, contact.id)
            answer["note"] = {"subject": note.subject, "body": note.body}
        return answer

    # ------------------------------------------------------------------ helpers

    def _settings(self) -> Settings:
        return replace(self.site.settings, today=self._today())

    def _save(self, ledger: Ledger) -> Ledger:
        """Save as `mark` does: the ledger, and the lists rewritten from it."""
        return save_with_lists(self.site.ledger, ledger, self._settings(), self.writer)

    def _generated_note(self, ledger: Ledger, contact_id: str) -> Note:
        report = build_report(ledger, self._settings(), self.writer)
        row = next((row for row in report.contacts if row.id == contact_id), None)
        return row.note if row else Note("", "")

    def _answer(self, ledger: Ledger, contact_id: str, message: str) -> dict[str, Any]:
        contact = ledger.contacts[contact_id]
        return {
            "ok": True,
            "message": message,
            "contact": {
                "id": contact.id,
                "status": contact.status,
                "reason": contact.reason,
                "told": told_text(contact),
                "can_undo": len(contact.history) > 1,
            },
            "counts": self._counts(ledger),
        }

    def _counts(self, ledger: Ledger) -> dict[str, int]:
        """Contacts by status, as the page counts them (excluded sites and reference sites
        are not listed)."""
        settings = self.site.settings
        counts = Counter(c.status for c in ledger.contacts.values() if is_listed(c, settings))
        return {status: counts.get(status, 0) for status in STATUSES}


def told_text(contact: Contact) -> str:
    """The card's words for when the contact was told, as the template's `told` macro says
    them: a reply means they were told, even if no note was marked sent."""
    if contact.last_told:
        return f"last told {contact.last_told}"
    if contact.status == "replied":
        return "they replied (no note marked sent)"
    if contact.status == "linked-back":
        return "they linked back (no note marked sent)"
    return "not told yet"


# ---------------------------------------------------------------------------- HTTP


class ReviewServer(ThreadingHTTPServer):
    """The HTTP server: a desk, the token, and the host names a request may use."""

    daemon_threads = True

    def __init__(self, desk: ReviewDesk, host: str, port: int = 0, token: str = "") -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), ReviewHandler)
        self.desk = desk
        self.host = host
        self.token = token or secrets.token_urlsafe(24)
        bound = self.server_address[1]
        names = {host, *LOOPBACK} if host in LOOPBACK else {host}
        self.hosts = frozenset(_host_port(name, bound) for name in names)
        self.origins = frozenset(f"http://{name}" for name in self.hosts)

    @property
    def url(self) -> str:
        """The address to open, token included."""
        return f"http://{_host_port(self.host, self.server_address[1])}/?token={self.token}"


def _host_port(host: str, port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return f"{name}:{port}".lower()


class ReviewHandler(BaseHTTPRequestHandler):
    """One request: checked (`_refused`), then the page or an action."""

    server: ReviewServer
    server_version = "mkdocs-backlinks-review"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the address and what each action did, not every GET."""

    def do_GET(self) -> None:
        refusal = self._refused()
        if refusal:
            self._send_json(refusal[0], {"error": refusal[1]})
            return
        parts = urlsplit(self.path)
        if parts.path != "/":
            if parts.path.startswith("/api/"):
                self._send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "actions are POST"})
            else:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "no such page"})
            return
        query = parse_qs(parts.query)
        try:
            offset = int(query.get("offset", ["0"])[0])
        except ValueError:
            offset = 0
        try:
            html = self.server.desk.page(self.server.token, max(0, offset))
        except (LedgerError, NoteEditsError, ValueError) as exc:
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})
            return
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", html.encode("utf-8"))

    def do_POST(self) -> None:
        refusal = self._refused()
        if refusal:
            self._send_json(refusal[0], {"error": refusal[1]})
            return
        action = urlsplit(self.path).path
        handlers = {"/api/mark": self._mark, "/api/undo": self._undo, "/api/note": self._note}
        handler = handlers.get(action)
        if handler is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "no such action"})
            return
        body = self._json_body()
        if body is None:
            return
        try:
            answer = handler(body)
        except (ActionError, LedgerError, NoteEditsError) as exc:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        except TimeoutError:
            message = "the data folder is busy (a build?); try again"
            self._send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": message})
            return
        print(f"{answer['contact']['id']}: {answer['message']}", flush=True)
        self._send_json(HTTPStatus.OK, answer)

    def do_PUT(self) -> None:
        self._send_json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "GET the page, POST actions"})

    do_DELETE = do_PATCH = do_PUT

    # ------------------------------------------------------------------ the checks

    def _refused(self) -> tuple[HTTPStatus, str] | None:
        """Why this request may not go on, or None."""
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.server.hosts:
            return HTTPStatus.FORBIDDEN, "unexpected Host header"
        origin = self.headers.get("Origin")
        if origin is not None and origin.lower() not in self.server.origins:
            return HTTPStatus.FORBIDDEN, "request from another origin"
        site = (self.headers.get("Sec-Fetch-Site") or "").lower()
        if site in ("cross-site", "same-site"):
            return HTTPStatus.FORBIDDEN, "request from another site"
        given = self.headers.get(TOKEN_HEADER) or _query_token(self.path)
        if not given or not secrets.compare_digest(given.encode(), self.server.token.encode()):
            return HTTPStatus.FORBIDDEN, "missing or wrong token: open the address review printed"
        return None

    def _json_body(self) -> dict[str, Any] | None:
        """The request's JSON object, or None once an error is sent."""
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            self._send_json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send JSON"})
            return None
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            self._send_json(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
            return None
        length = int(length_header)
        if length > MAX_BODY:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "body too large"})
            self.close_connection = True
            return None
        try:
            data = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object"})
            return None
        return data

    # ------------------------------------------------------------------ the actions

    def _mark(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.server.desk.mark(
            _text(body, "id"), _text(body, "status"), _text(body, "reason", optional=True)
        )

    def _undo(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.server.desk.undo(_text(body, "id"))

    def _note(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("reset") is True:
            return self.server.desk.edit_note(_text(body, "id"), None, None)
        return self.server.desk.edit_note(
            _text(body, "id"), _text(body, "subject"), _text(body, "body")
        )

    # ------------------------------------------------------------------ answers

    def _send_json(self, status: HTTPStatus, document: Mapping[str, Any]) -> None:
        data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        self._send(status, "application/json; charset=utf-8", data)

    def _send(self, status: HTTPStatus, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.send_header(
            "Content-Security-Policy", "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        self.end_headers()
        self.wfile.write(data)


def _query_token(path: str) -> str:
    values = parse_qs(urlsplit(path).query).get("token")
    return values[0] if values else ""


def _text(body: Mapping[str, Any], key: str, *, optional: bool = False) -> str:
    value = body.get(key, "" if optional else None)
    if not isinstance(value, str):
        raise ActionError(f"'{key}' must be a string")
    return value
