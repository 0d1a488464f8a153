"""The ledger file's layout: records to JSON text and back.

One record a line, keys sorted, under a first line that holds the schema, the dates and the
digests: a review diff shows only the records that changed, and a build can read the first
line alone. Decoding validates every field and names it when it is wrong; reading the file is
`ledger.file`'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mkdocs_backlinks.files import check_schema, dump_json_lines
from mkdocs_backlinks.files import expect_dict as _dict
from mkdocs_backlinks.files import expect_list as _list
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.ledger.model import (
    STATUSES,
    Citation,
    Contact,
    Event,
    Ledger,
    ListsState,
    PageSends,
    SentTarget,
    Work,
)
from mkdocs_backlinks.works.model import (
    meta_from_record,
    meta_record,
    routes_from_record,
    routes_record,
)

LEDGER_SCHEMA = "mkdocs-backlinks/ledger"
LEDGER_VERSION = 1

SECTIONS = ("contacts", "works", "sends")
"""The sections after the first line, in the order they are written, each at most once."""


# ----------------------------------------------------------------------------- writing


def dumps(ledger: Ledger) -> str:
    """The ledger file's text: keys sorted, one line per contact and per work.

    One record a line keeps a review diff to the records that changed, and lets the fast C
    JSON encoder do the work (an indented dump is several times slower on a large site).
    """
    return "".join(_chunks(ledger))


def head_line(ledger: Ledger) -> str:
    """The ledger file's first line, newline included: what `dumps` starts with."""
    head = json.dumps(_head(ledger), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return head[:-1] + ",\n"


def records_chunks(ledger: Ledger) -> Iterator[str]:
    """What `dumps` writes after the first line, in pieces, made as they are read: the
    records, which the first line's digests describe. `head_line(ledger) +
    "".join(records_chunks(ledger))` is `dumps(ledger)`.

    Made as they are read, never kept: on a large site they are megabytes, and the end of a
    build, where they are written, is its peak of memory. A build writes them to a temporary
    file as it hashes them, and copies that after the first line, which names the hash
    (`files.spool_text`)."""
    chunks = _chunks(ledger)
    next(chunks)  # the head, less its closing brace
    # The next piece opens the first section on the second line: ',\n"contacts":{'.
    yield next(chunks).removeprefix(",\n")
    yield from chunks


def _head(ledger: Ledger) -> dict[str, Any]:
    lists = ledger.lists
    return {
        "schema": LEDGER_SCHEMA,
        "version": LEDGER_VERSION,
        "last_build": ledger.last_build,
        "observed": ledger.observed,
        "lists": {
            "fingerprint": lists.fingerprint,
            "contacts": lists.contacts,
            "to_do": lists.to_do,
            # Only once counted, so ledgers written before it keep their first line.
            **({"new": lists.new} if lists.new else {}),
        },
    }


def _chunks(ledger: Ledger) -> Iterator[str]:
    head = _head(ledger)
    contacts = (
        (
            cid,
            {
                "site": c.site,
                "status": c.status,
                "reason": c.reason,
                "name": c.name,
                "email": c.email,
                "first_seen": c.first_seen,
                "last_seen": c.last_seen or None,
                "cited": c.cited,
                "history": [
                    {"date": e.date, "status": e.status, "reason": e.reason} for e in c.history
                ],
                # Only when known, so ledgers of sites never checked keep their bytes.
                **({"routes": routes_record(c.routes)} if c.routes else {}),
            },
        )
        for cid, c in ledger.contacts.items()
    )
    works = (
        (
            url,
            {
                "site": w.site,
                "contact": w.contact,
                "first_seen": w.first_seen,
                "last_seen": w.last_seen or None,
                "cited": w.cited,
                "citations": [c.record() for c in w.citations],
                **({"meta": meta_record(w.meta)} if w.meta else {}),
            },
        )
        for url, w in ledger.works.items()
    )
    sections: dict[str, Iterable[tuple[str, Any]]] = {"contacts": contacts, "works": works}
    if ledger.sends:
        # Only once something was sent, so a ledger that never sent reads as before.
        sends = sorted(ledger.sends.items())
        sections["sends"] = ((page, _send_record(record)) for page, record in sends)
    return dump_json_lines(head, sections)


def _send_record(sends: PageSends) -> dict[str, Any]:
    return {
        "source": sends.source,
        "deleted": sends.deleted,
        "targets": {
            key: {
                "target": t.target,
                "digest": t.digest,
                "outcome": t.outcome,
                "date": t.date,
                "linked": t.linked,
                "http_status": t.http_status,
                "endpoint": t.endpoint,
                "location": t.location,
                "reason": t.reason,
                # Only when a receiver asked to wait, so other records keep their bytes.
                **({"not_before": t.not_before} if t.not_before else {}),
            }
            for key, t in sorted(sends.targets.items())
        },
    }


# ----------------------------------------------------------------------------- reading


def _status(value: Any, where: str) -> str:
    status = _str(value, f"a status in {where}")
    if status not in STATUSES:
        raise ValueError(f"{where} has unknown status {status!r}")
    return status


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    return value


def decode_date(value: Any, what: str) -> str:
    """A stored date; null (a date not set, as `last_seen` of a work still cited) is ''."""
    return "" if value is None else _str(value, what)


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be true or false, not {type(value).__name__}")
    return value


def decode_ledger(data: Any) -> Ledger:
    """The ledger a whole parsed document describes; KeyError, TypeError or ValueError naming
    the field when it is wrong."""
    data = _dict(data, "the document")
    check_schema(data, LEDGER_SCHEMA, LEDGER_VERSION)
    contacts: dict[str, Contact] = {}
    for cid, raw in _dict(data.get("contacts", {}), "'contacts'").items():
        contacts[cid] = decode_contact(cid, raw)
    works: dict[str, Work] = {}
    for url, raw in _dict(data.get("works", {}), "'works'").items():
        works[url] = decode_work(url, raw, contacts)
    return ledger_from(data, contacts, works, _dict(data.get("sends", {}), "'sends'"))


def decode_contact(cid: str, raw: Any) -> Contact:
    """One contact's record, validated."""
    raw = _dict(raw, f"contact {cid!r}")
    status = _status(raw["status"], f"contact {cid!r}")
    history = tuple(
        Event(
            _str(_dict(e, "history entry")["date"], "history date"),
            _status(e["status"], f"history of {cid!r}"),
            _str(e.get("reason", ""), "history reason"),
        )
        for e in _list(raw.get("history", []), f"history of {cid!r}")
    )
    return Contact(
        id=cid,
        site=_str(raw["site"], f"site of {cid!r}"),
        status=status,
        reason=_str(raw.get("reason", ""), f"reason of {cid!r}"),
        name=_str(raw.get("name", ""), f"name of {cid!r}"),
        email=_str(raw.get("email", ""), f"email of {cid!r}"),
        first_seen=_str(raw["first_seen"], f"first_seen of {cid!r}"),
        last_seen=decode_date(raw["last_seen"], f"last_seen of {cid!r}"),
        cited=_bool(raw["cited"], f"cited of {cid!r}"),
        history=history,
        routes=routes_from_record(raw.get("routes")),
    )


def decode_work(url: str, raw: Any, contacts: Mapping[str, Contact]) -> Work:
    """One work's record, validated; its contact must be among `contacts`, read before it."""
    raw = _dict(raw, f"work {url!r}")
    contact = _str(raw["contact"], f"contact of {url!r}")
    if contact not in contacts:
        raise ValueError(f"work {url!r} belongs to unknown contact {contact!r}")
    citations = tuple(
        Citation(
            _str(c["page"], "citation page"),
            _str(c["page_title"], "citation page_title"),
            _str(c["page_url"], "citation page_url"),
            _str(c["text"], "citation text"),
            _str(c["context"], "citation context"),
        )
        for c in (
            _dict(item, "citation") for item in _list(raw["citations"], f"citations of {url!r}")
        )
    )
    return Work(
        url=url,
        site=_str(raw["site"], f"site of {url!r}"),
        contact=contact,
        first_seen=_str(raw["first_seen"], f"first_seen of {url!r}"),
        last_seen=decode_date(raw["last_seen"], f"last_seen of {url!r}"),
        cited=_bool(raw["cited"], f"cited of {url!r}"),
        citations=citations,
        meta=meta_from_record(raw.get("meta")),
    )


def ledger_from(
    head: Mapping[str, Any],
    contacts: dict[str, Contact],
    works: dict[str, Work],
    sends_raw: Mapping[str, Any],
) -> Ledger:
    """The ledger of a first line (`head`) and the records decoded after it: shared by the
    whole-document and the line-by-line readers."""
    lists = _dict(head.get("lists", {}), "'lists'")
    sends = {page: _decode_sends(page, raw) for page, raw in sends_raw.items()}
    return Ledger(
        contacts,
        works,
        decode_date(head.get("last_build"), "'last_build'"),
        _str(head.get("observed", ""), "'observed'"),
        ListsState(
            _str(lists.get("fingerprint", ""), "'lists.fingerprint'"),
            _int(lists.get("contacts", 0), "'lists.contacts'"),
            _int(lists.get("to_do", 0), "'lists.to_do'"),
            _int(lists.get("new", 0), "'lists.new'"),
        ),
        sends=dict(sorted(sends.items())),
    )


def _decode_sends(page: str, raw: Any) -> PageSends:
    """One page's send records. Optional fields may be missing (older or hand-edited files);
    an outcome this version does not know is kept as written, so nothing is lost."""
    raw = _dict(raw, f"sends of {page!r}")
    targets: dict[str, SentTarget] = {}
    for key, item in _dict(raw.get("targets", {}), f"targets sent from {page!r}").items():
        where = f"the send from {page!r} to {key!r}"
        item = _dict(item, where)
        status = item.get("http_status")
        targets[key] = SentTarget(
            target=_str(item.get("target", key), f"target of {where}"),
            digest=_str(item.get("digest", ""), f"digest of {where}"),
            outcome=_str(item["outcome"], f"outcome of {where}"),
            date=_str(item.get("date", ""), f"date of {where}"),
            linked=_bool(item.get("linked", True), f"linked of {where}"),
            http_status=None if status is None else _int(status, f"http_status of {where}"),
            endpoint=_str(item.get("endpoint", ""), f"endpoint of {where}"),
            location=_str(item.get("location", ""), f"location of {where}"),
            reason=_str(item.get("reason", ""), f"reason of {where}"),
            not_before=_instant(item.get("not_before", ""), f"not_before of {where}"),
        )
    return PageSends(
        page=page,
        source=_str(raw.get("source", ""), f"source of {page!r}"),
        targets=dict(sorted(targets.items())),
        deleted=_bool(raw.get("deleted", False), f"deleted of {page!r}"),
    )


def _instant(value: Any, what: str) -> str:
    """A moment written as `2026-01-02T03:04:05Z` (UTC, to the second), or ""."""
    text = _str(value, what)
    if text and not _INSTANT.fullmatch(text):
        raise ValueError(f"{what} must be a UTC time like 2026-01-02T03:04:05Z, not {text!r}")
    return text


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
