"""Unit tests for the relationship ledger (`ledger`) and the pure parts of the
outreach list (`outreach.desk`): merging a build, finding and marking contacts,
reading and writing the file, and the Markdown / CSV views of the report.

No MkDocs here: plain data in, plain data out. Build-level behaviour is in `test_outreach.py`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mkdocs_backlinks.files import dump_json_lines
from mkdocs_backlinks.graph.linkgraph import LinkGraph, PageInfo
from mkdocs_backlinks.ledger import file as ledger_file
from mkdocs_backlinks.ledger.contacts import find_contact, mark
from mkdocs_backlinks.ledger.file import (
    LedgerReader,
    load_ledger,
    read_head,
    read_ledger,
    read_ledger_lines,
    records_hash,
    save_ledger,
)
from mkdocs_backlinks.ledger.format import (
    LEDGER_SCHEMA,
    LEDGER_VERSION,
    dumps,
    head_line,
    records_chunks,
)
from mkdocs_backlinks.ledger.gather import (
    Observed,
    gather,
    merge_build,
    merge_gathered,
    observed_digest,
)
from mkdocs_backlinks.ledger.model import (
    MARKABLE,
    STATUSES,
    Citation,
    Contact,
    Event,
    Ledger,
    LedgerError,
    PageSends,
    SentTarget,
    Work,
)
from mkdocs_backlinks.outreach.desk import ObservedCitations, OutreachDesk
from mkdocs_backlinks.outreach.formats import (
    CSV_COLUMNS,
    ends_in_one_newline,
    html_chunks,
    json_chunks,
    markdown_chunks,
    render_csv,
    render_markdown,
    render_table,
)
from mkdocs_backlinks.outreach.notes import NoteWriter, mark_command
from mkdocs_backlinks.outreach.records import Report
from mkdocs_backlinks.outreach.report import build_report, filter_rows
from mkdocs_backlinks.outreach.settings import Settings
from mkdocs_backlinks.works.model import Routes, WorkMeta

DAY1 = "2024-03-01"
DAY2 = "2024-03-02"
DAY3 = "2024-03-03"


def seen(url: str, page: str = "index.md", text: str = "link", context: str = "") -> Observed:
    """A citation as the plugin hands it over: the page's title and URL derive from its path."""
    stem = page.removesuffix(".md")
    page_url = "https://me.example/" if stem == "index" else f"https://me.example/{stem}/"
    return Observed(url, page, f"Title of {stem}", page_url, text, context or f"About {text}.")


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "site_name": "My Notes",
        "site_url": "https://me.example/",
        "author": "Ada",
        "author_url": "https://me.example/",
        "sign_off": "Thanks,",
        "tone": "friendly",
        "done_statuses": ("sent", "replied", "linked-back", "skipped"),
        "exclude_sites": (),
        "note_template": None,
        "config_file": "mkdocs.yml",
        "today": DAY1,
    }
    values.update(overrides)
    return Settings(**values)


def report_of(ledger: Ledger, **overrides: Any) -> Report:
    return build_report(ledger, settings(**overrides), NoteWriter(None))


def fields(report: Report) -> dict[str, Any]:
    """The report as `outreach.json` holds it, to compare whole parts at once."""
    return report.as_dict()


BASIC = [
    seen("https://www.alpha.org/guide", "index.md", "the guide"),
    seen("https://beta.net/", "index.md", "Beta"),
    seen("https://gamma.io/paper", "notes.md", "paper"),
]


# --------------------------------------------------------------------------- merge_build


def test_first_merge_creates_new_contacts_keyed_by_site_without_www() -> None:
    ledger = merge_build(Ledger(), BASIC, DAY1)

    assert list(ledger.contacts) == ["alpha.org", "beta.net", "gamma.io"]
    alpha = ledger.contacts["alpha.org"]
    assert alpha == Contact(
        id="alpha.org",
        site="alpha.org",
        status="new",
        first_seen=DAY1,
        last_seen="",
        cited=True,
        history=(Event(DAY1, "new"),),
    )
    assert ledger.last_build == DAY1
    assert list(ledger.works) == [
        "https://beta.net/",
        "https://gamma.io/paper",
        "https://www.alpha.org/guide",
    ]
    assert ledger.works["https://www.alpha.org/guide"] == Work(
        url="https://www.alpha.org/guide",
        site="alpha.org",
        contact="alpha.org",
        first_seen=DAY1,
        last_seen="",
        cited=True,
        citations=(
            Citation(
                "index.md", "Title of index", "https://me.example/", "the guide", "About the guide."
            ),
        ),
    )


def test_merging_the_same_build_twice_is_idempotent() -> None:
    once = merge_build(Ledger(), BASIC, DAY1)
    twice = merge_build(once, BASIC, DAY1)
    assert twice == once
    assert dumps(twice) == dumps(once)
    assert all(c.status == "new" for c in twice.contacts.values())


def test_merging_the_same_citations_on_a_later_day_changes_nothing() -> None:
    """`last_build` is the last build that changed the records: a committed ledger is not
    rewritten for a date alone (building the sample site left the checkout dirty)."""
    first = merge_build(Ledger(), BASIC, DAY1)
    later = merge_build(first, BASIC, DAY2)
    assert later == first
    assert dumps(later) == dumps(first)
    assert later.last_build == DAY1


def test_a_later_build_that_changes_a_record_moves_last_build() -> None:
    first = merge_build(Ledger(), BASIC, DAY1)
    later = merge_build(first, BASIC[:-1], DAY2)
    assert later.last_build == DAY2
    gone = [w for w in later.works.values() if not w.cited]
    assert gone and all(w.last_seen == DAY1 for w in gone)


def test_same_work_cited_from_two_pages_gives_two_sorted_citations() -> None:
    observed = [
        seen("https://gamma.io/paper", "zeta.md", "paper", "Zeta cites the paper."),
        seen("https://gamma.io/paper", "alpha.md", "the paper", "Alpha cites the paper."),
    ]
    work = merge_build(Ledger(), observed, DAY1).works["https://gamma.io/paper"]
    assert [(c.page, c.text, c.context) for c in work.citations] == [
        ("alpha.md", "the paper", "Alpha cites the paper."),
        ("zeta.md", "paper", "Zeta cites the paper."),
    ]


def test_citations_on_one_page_sort_by_text_then_context() -> None:
    observed = [
        seen("https://gamma.io/paper", "a.md", "second", "B."),
        seen("https://gamma.io/paper", "a.md", "first", "Z."),
        seen("https://gamma.io/paper", "a.md", "first", "A."),
    ]
    work = merge_build(Ledger(), observed, DAY1).works["https://gamma.io/paper"]
    assert [(c.text, c.context) for c in work.citations] == [
        ("first", "A."),
        ("first", "Z."),
        ("second", "B."),
    ]


def test_duplicate_citations_are_removed() -> None:
    one = seen("https://gamma.io/paper", "a.md", "paper", "Same sentence.")
    work = merge_build(Ledger(), [one, one, one], DAY1).works["https://gamma.io/paper"]
    assert len(work.citations) == 1


def test_url_normalisation_groups_tracking_case_and_fragment_variants() -> None:
    observed = [
        seen("https://WWW.X.org/a?utm_source=y#f", "one.md", "A"),
        seen("https://www.x.org/a", "two.md", "A"),
    ]
    ledger = merge_build(Ledger(), observed, DAY1)
    assert list(ledger.works) == ["https://www.x.org/a"]
    work = ledger.works["https://www.x.org/a"]
    assert work.site == "x.org"
    assert work.contact == "x.org"
    assert [c.page for c in work.citations] == ["one.md", "two.md"]
    assert list(ledger.contacts) == ["x.org"]


def test_query_that_selects_the_work_is_kept_apart() -> None:
    observed = [seen("https://x.org/view?id=1", "a.md"), seen("https://x.org/view?id=2", "a.md")]
    ledger = merge_build(Ledger(), observed, DAY1)
    assert list(ledger.works) == ["https://x.org/view?id=1", "https://x.org/view?id=2"]
    assert list(ledger.contacts) == ["x.org"]


def test_new_contacts_turn_earlier_new_ones_pending() -> None:
    first = merge_build(Ledger(), BASIC[:1], DAY1)
    second = merge_build(first, BASIC[:2], DAY2)
    assert second.contacts["alpha.org"].status == "pending"
    assert second.contacts["alpha.org"].history == (Event(DAY1, "new"), Event(DAY2, "pending"))
    assert second.contacts["beta.net"].status == "new"
    assert second.contacts["beta.net"].history == (Event(DAY2, "new"),)


def test_build_without_new_contacts_changes_no_status() -> None:
    first = merge_build(Ledger(), BASIC, DAY1)
    second = merge_build(first, BASIC[:2], DAY2)  # one contact's citation removed, none added
    assert {c.status for c in second.contacts.values()} == {"new"}
    assert all(len(c.history) == 1 for c in second.contacts.values())


@pytest.mark.parametrize("status", ["sent", "replied", "linked-back", "skipped", "pending"])
def test_statuses_set_by_the_author_survive_a_build_with_new_contacts(status: str) -> None:
    first = mark(merge_build(Ledger(), BASIC[:2], DAY1), "alpha.org", status, DAY1, "why")
    second = merge_build(first, BASIC, DAY2)
    alpha = second.contacts["alpha.org"]
    assert alpha.status == status
    assert alpha.reason == "why"
    assert alpha.history == (Event(DAY1, "new"), Event(DAY1, status, "why"))
    assert second.contacts["beta.net"].status == "pending"
    assert second.contacts["gamma.io"].status == "new"


def test_work_no_longer_cited_is_kept_with_its_citations() -> None:
    first = merge_build(Ledger(), BASIC, DAY1)
    second = merge_build(first, BASIC[1:], DAY2)
    work = second.works["https://www.alpha.org/guide"]
    assert work == replace(first.works["https://www.alpha.org/guide"], cited=False, last_seen=DAY1)
    contact = second.contacts["alpha.org"]
    assert contact.cited is False
    assert contact.last_seen == DAY1
    assert second.contacts["beta.net"].cited is True
    assert second.contacts["beta.net"].last_seen == ""
    # Later builds keep the date of the last build that cited it.
    third = merge_build(second, BASIC[1:], DAY3)
    assert third.works["https://www.alpha.org/guide"] == work
    assert third.contacts["alpha.org"].last_seen == DAY1


def test_last_seen_is_the_last_build_that_recorded_the_work() -> None:
    """The last build that changed the ledger while the work was cited: the builds after it
    changed nothing, so they wrote no date (the checkout stays clean)."""
    first = merge_build(Ledger(), BASIC, DAY1)
    second = merge_build(first, BASIC, DAY2)  # still cited on day 2, nothing changed
    third = merge_build(second, BASIC[1:], DAY3)  # gone on day 3
    assert third.works["https://www.alpha.org/guide"].last_seen == DAY1
    assert third.contacts["alpha.org"].last_seen == DAY1
    assert third.last_build == DAY3


def test_ledger_without_last_build_uses_today_for_what_is_gone() -> None:
    first = replace(merge_build(Ledger(), BASIC, DAY1), last_build="")
    second = merge_build(first, BASIC[1:], DAY2)
    assert second.works["https://www.alpha.org/guide"].last_seen == DAY2


def test_contact_stays_cited_while_one_of_its_works_is() -> None:
    observed = [seen("https://gamma.io/a", "a.md"), seen("https://gamma.io/b", "b.md")]
    first = merge_build(Ledger(), observed, DAY1)
    second = merge_build(first, observed[1:], DAY2)
    assert second.works["https://gamma.io/a"].cited is False
    assert second.works["https://gamma.io/b"].cited is True
    assert second.contacts["gamma.io"].cited is True
    assert second.contacts["gamma.io"].last_seen == ""


def test_work_cited_again_keeps_first_seen() -> None:
    first = merge_build(Ledger(), BASIC, DAY1)
    gone = merge_build(first, BASIC[1:], DAY2)
    back = merge_build(gone, BASIC, DAY3)
    work = back.works["https://www.alpha.org/guide"]
    assert (work.cited, work.first_seen, work.last_seen) == (True, DAY1, "")
    assert back.contacts["alpha.org"].last_seen == ""
    assert back.contacts["alpha.org"].cited is True
    assert back.contacts["alpha.org"].status == "new"


def test_contact_of_decides_the_contact_id() -> None:
    ledger = merge_build(Ledger(), BASIC, DAY1, contact_of=lambda url: "everyone")
    assert list(ledger.contacts) == ["everyone"]
    assert {w.contact for w in ledger.works.values()} == {"everyone"}


def test_merge_does_not_change_its_input() -> None:
    first = merge_build(Ledger(), BASIC[:1], DAY1)
    snapshot = dumps(first)
    merge_build(first, BASIC, DAY2)
    assert dumps(first) == snapshot


# --------------------------------------------------------------------------- find and mark


@pytest.fixture
def basic() -> Ledger:
    return merge_build(Ledger(), BASIC, DAY1)


@pytest.mark.parametrize(
    "ref",
    [
        "alpha.org",
        " alpha.org ",
        "ALPHA.org",
        "www.alpha.org",
        "WWW.Alpha.Org",
        "https://www.alpha.org/guide",
        "https://www.alpha.org/guide?utm_source=x#top",
        "https://alpha.org/",
        "https://www.alpha.org/some/other/page",
    ],
)
def test_find_contact_by_id_site_or_url(basic: Ledger, ref: str) -> None:
    assert find_contact(basic, ref).id == "alpha.org"


def test_find_contact_unknown_lists_the_known_ones(basic: Ledger) -> None:
    with pytest.raises(LedgerError) as info:
        find_contact(basic, "nobody.example")
    assert str(info.value) == (
        "No contact 'nobody.example' in the ledger. Known contacts: alpha.org, beta.net, gamma.io"
    )


def test_find_contact_in_empty_ledger_says_to_build() -> None:
    with pytest.raises(LedgerError, match="none yet: run mkdocs build first"):
        find_contact(Ledger(), "alpha.org")


def test_mark_sets_status_reason_and_history(basic: Ledger) -> None:
    marked = mark(basic, "www.alpha.org", "skipped", DAY2, "paywalled")
    alpha = marked.contacts["alpha.org"]
    assert (alpha.status, alpha.reason) == ("skipped", "paywalled")
    assert alpha.history == (Event(DAY1, "new"), Event(DAY2, "skipped", "paywalled"))
    assert marked.works == basic.works
    assert {k: v for k, v in marked.contacts.items() if k != "alpha.org"} == {
        k: v for k, v in basic.contacts.items() if k != "alpha.org"
    }
    # The input ledger is not changed.
    assert basic.contacts["alpha.org"].status == "new"


def test_mark_again_clears_the_old_reason(basic: Ledger) -> None:
    marked = mark(mark(basic, "alpha.org", "skipped", DAY1, "later"), "alpha.org", "sent", DAY2)
    assert marked.contacts["alpha.org"].reason == ""
    assert [e.status for e in marked.contacts["alpha.org"].history] == ["new", "skipped", "sent"]


def test_find_contact_unknown_on_a_large_ledger_names_the_near_misses(basic: Ledger) -> None:
    # A site citing thousands of sites: the message names the closest few, not all of them.
    alpha = basic.contacts["alpha.org"]
    many = {f"site{n:04}.example": replace(alpha, id=f"site{n:04}.example") for n in range(2000)}
    large = replace(basic, contacts={**basic.contacts, **many})
    with pytest.raises(LedgerError) as info:
        find_contact(large, "site0042.exampel")
    message = str(info.value)
    assert message.startswith("No contact 'site0042.exampel' in the ledger. Did you mean ")
    assert "site0042.example" in message
    assert message.endswith("2003 contacts in all: 'mkdocs-backlinks outreach' lists them.")
    assert len(message) < 300
    with pytest.raises(LedgerError) as info:
        find_contact(large, "zzz")
    assert str(info.value) == (
        "No contact 'zzz' in the ledger. 2003 contacts in all: 'mkdocs-backlinks outreach' "
        "lists them."
    )


@pytest.mark.parametrize("status", ["new", "done", "Sent", ""])
def test_mark_with_unknown_status_lists_the_allowed_ones(basic: Ledger, status: str) -> None:
    with pytest.raises(LedgerError) as info:
        mark(basic, "alpha.org", status, DAY2)
    assert str(info.value) == (
        f"Unknown status '{status}'. Use one of: pending, sent, replied, linked-back, skipped"
    )


def test_mark_unknown_contact_raises(basic: Ledger) -> None:
    with pytest.raises(LedgerError, match=r"No contact 'delta\.com'"):
        mark(basic, "delta.com", "sent", DAY2)


def test_last_told_is_the_latest_sent_date(basic: Ledger) -> None:
    assert basic.contacts["alpha.org"].last_told == ""
    ledger = mark(basic, "alpha.org", "sent", DAY1)
    ledger = mark(ledger, "alpha.org", "replied", DAY2)
    assert ledger.contacts["alpha.org"].last_told == DAY1
    ledger = mark(ledger, "alpha.org", "sent", DAY3)
    assert ledger.contacts["alpha.org"].last_told == DAY3


def test_status_constants() -> None:
    assert STATUSES == ("new", "pending", "sent", "replied", "linked-back", "skipped")
    assert STATUSES[1:] == MARKABLE


# --------------------------------------------------------------------------- load and save


def rich_ledger() -> Ledger:
    ledger = merge_build(Ledger(), BASIC, DAY1)
    ledger = mark(ledger, "beta.net", "skipped", DAY2, "they said no — thanks anyway")
    ledger = merge_build(ledger, [*BASIC[1:], seen("https://delta.com/ü", "é.md", "Ü")], DAY3)
    contacts = dict(ledger.contacts)
    contacts["gamma.io"] = replace(contacts["gamma.io"], name="Gamma Editors", email="ed@gamma.io")
    return Ledger(contacts, ledger.works, ledger.last_build)


def test_load_missing_file_is_an_empty_ledger(tmp_path: Path) -> None:
    ledger = load_ledger(tmp_path / "nowhere" / "ledger.json")
    assert ledger == Ledger()
    assert dict(ledger.contacts) == {}
    assert dict(ledger.works) == {}


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "data" / "ledger.json"
    ledger = rich_ledger()
    save_ledger(path, ledger)
    loaded = load_ledger(path)
    assert loaded == ledger
    assert list(loaded.contacts) == list(ledger.contacts)
    assert loaded.works["https://www.alpha.org/guide"].cited is False
    assert loaded.contacts["gamma.io"].email == "ed@gamma.io"
    # Saving what was loaded gives the same bytes.
    text = path.read_bytes()
    save_ledger(path, loaded)
    assert path.read_bytes() == text
    assert [p.name for p in path.parent.iterdir()] == ["ledger.json"]


def test_saved_file_is_the_documented_schema(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    save_ledger(path, rich_ledger())
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["schema"] == LEDGER_SCHEMA == "mkdocs-backlinks/ledger"
    assert data["version"] == LEDGER_VERSION == 1
    assert data["last_build"] == DAY3
    assert set(data) == {
        "schema",
        "version",
        "last_build",
        "observed",
        "lists",
        "contacts",
        "works",
    }
    assert data["contacts"]["beta.net"] == {
        "site": "beta.net",
        "status": "skipped",
        "reason": "they said no — thanks anyway",
        "name": "",
        "email": "",
        "first_seen": DAY1,
        "last_seen": None,
        "cited": True,
        "history": [
            {"date": DAY1, "status": "new", "reason": ""},
            {"date": DAY2, "status": "skipped", "reason": "they said no — thanks anyway"},
        ],
    }
    assert data["contacts"]["alpha.org"]["last_seen"] == DAY1  # last build that cited it
    assert data["works"]["https://www.alpha.org/guide"]["last_seen"] == DAY1
    assert data["works"]["https://delta.com/ü"]["citations"] == [
        {
            "page": "é.md",
            "page_title": "Title of é",
            "page_url": "https://me.example/é/",
            "text": "Ü",
            "context": "About Ü.",
        }
    ]
    assert "they said no — thanks anyway" in text  # UTF-8, not \u escapes
    assert text.endswith("}\n")


def test_dumps_is_one_record_a_line_and_stable_whatever_the_insertion_order() -> None:
    ledger = rich_ledger()
    shuffled = Ledger(
        dict(reversed(list(ledger.contacts.items()))),
        dict(reversed(list(ledger.works.items()))),
        ledger.last_build,
    )
    first = dumps(ledger)
    assert dumps(ledger) == first
    lines = first.splitlines()
    assert lines[0].startswith('{"last_build":"2024-03-03","lists":{')
    assert lines[0].endswith('"schema":"mkdocs-backlinks/ledger","version":1,')
    assert lines[1] == '"contacts":{'
    contact_lines = lines[2 : 2 + len(ledger.contacts)]
    assert [line.split('"', 2)[1] for line in contact_lines] == sorted(ledger.contacts)
    assert lines[-1] == "}"
    assert '"works":{' in lines
    work_lines = lines[lines.index('"works":{') + 1 : -2]
    assert [json.loads("{" + line.rstrip(",") + "}") for line in work_lines]
    assert [next(iter(json.loads("{" + ln.rstrip(",") + "}"))) for ln in work_lines] == sorted(
        ledger.works
    )
    # Keys sorted inside each record too, so a dump is independent of construction order.
    record = json.loads("{" + contact_lines[0].rstrip(",") + "}")
    inner = next(iter(record.values()))
    assert list(inner) == sorted(inner)
    # A ledger built in another order gives the same text once merged (merge sorts).
    assert dumps(merge_build(shuffled, [], DAY3)) == dumps(merge_build(ledger, [], DAY3))


def write_doc(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc), encoding="utf-8")


def valid_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(dumps(merge_build(Ledger(), BASIC, DAY1)))
    return doc


def _set(doc: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = doc
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("keys", "value", "message"),
    [
        (("schema",), "something/else", "'schema' is 'something/else'"),
        (("version",), 99, "newer version of the plugin (schema version 99"),
        (("version",), "1", "'version' must be a whole number"),
        (("version",), True, "'version' must be a whole number"),
        (("contacts", "alpha.org", "status"), "emailed", "unknown status 'emailed'"),
        (("contacts", "alpha.org", "cited"), "yes", "cited of 'alpha.org' must be true or false"),
        (("contacts", "alpha.org", "history"), {}, "history of 'alpha.org' must be a list"),
        (("contacts",), [], "'contacts' must be an object"),
        (("works", "https://beta.net/", "contact"), "zeta.org", "unknown contact 'zeta.org'"),
        (("works", "https://beta.net/", "citations"), "x", "must be a list"),
        (("works", "https://beta.net/", "last_seen"), 20240301, "must be a string"),
        (("works",), None, "'works' must be an object"),
        (("last_build",), 20240301, "'last_build' must be a string"),
        (("contacts", "alpha.org", "history"), [{"status": "new"}], "required field 'date'"),
    ],
)
def test_load_rejects_a_damaged_ledger(
    tmp_path: Path, keys: tuple[str, ...], value: Any, message: str
) -> None:
    path = tmp_path / "ledger.json"
    write_doc(path, _set(valid_doc(), keys, value))
    with pytest.raises(LedgerError) as info:
        load_ledger(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_number_too_long_for_python_is_damage_not_a_traceback(tmp_path: Path) -> None:
    """A number of more digits than Python converts (4,300) raised a plain ValueError out of
    the build: it is a damaged ledger, named, and left as it is."""
    path = tmp_path / "ledger.json"
    write_doc(path, valid_doc())
    text = path.read_text(encoding="utf-8").replace('"to_do": 0', '"to_do": ' + "1" * 4400, 1)
    assert "1" * 4400 in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LedgerError) as info:
        load_ledger(path)
    assert str(path) in str(info.value) and "left untouched" in str(info.value)
    assert path.read_text(encoding="utf-8") == text


def test_load_rejects_missing_field_naming_it(tmp_path: Path) -> None:
    doc = valid_doc()
    del doc["contacts"]["gamma.io"]["first_seen"]
    path = tmp_path / "ledger.json"
    write_doc(path, doc)
    with pytest.raises(LedgerError, match="required field 'first_seen' is missing"):
        load_ledger(path)


def test_load_rejects_invalid_json_with_position(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text('{"schema": "mkdocs-backlinks/ledger",\n  "version": 1,\n}', encoding="utf-8")
    with pytest.raises(LedgerError) as info:
        load_ledger(path)
    assert f"The ledger {path} is not valid JSON (line 3, column 1" in str(info.value)


def test_load_rejects_a_document_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(LedgerError, match="the document must be an object, not list"):
        load_ledger(path)


def test_load_rejects_non_utf8_bytes_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_bytes(
        b'{"schema": "mkdocs-backlinks/ledger", "version": 1, "contacts": {"\xff": 1}}'
    )
    with pytest.raises(LedgerError) as info:
        load_ledger(path)
    assert str(path) in str(info.value)


def test_load_accepts_an_older_minimal_document(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    write_doc(path, {"schema": LEDGER_SCHEMA, "version": 1})
    assert load_ledger(path) == Ledger()


# --------------------------------------------------------------------------- report and views


def marked_everywhere() -> Ledger:
    """One contact in each status, ids deliberately not in status order."""
    sites = {
        "a-skipped.org": "skipped",
        "b-linked.org": "linked-back",
        "c-replied.org": "replied",
        "d-sent.org": "sent",
        "e-pending.org": "pending",
        "f-new.org": "new",
    }
    ledger = merge_build(
        Ledger(), [seen(f"https://{site}/post", "index.md", site) for site in sites], DAY1
    )
    for site, status in sites.items():
        if status != "new":
            ledger = mark(ledger, site, status, DAY2, f"reason for {site}")
    return ledger


def test_render_markdown_groups_by_status_in_order() -> None:
    text = render_markdown(report_of(marked_everywhere()))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## New (1)",
        "## Pending (1)",
        "## Sent (1)",
        "## Replied (1)",
        "## Linked-back (1)",
        "## Skipped (1)",
        "## Relationships",
    ]
    sites = [line[4:] for line in text.splitlines() if line.startswith("### ")]
    assert sites == [
        "f-new.org",
        "e-pending.org",
        "d-sent.org",
        "c-replied.org",
        "b-linked.org",
        "a-skipped.org",
    ]
    assert "Reason: reason for a-skipped.org" in text
    assert text.startswith(
        "# Outreach for My Notes\n\nGenerated 2024-03-01 by mkdocs-backlinks. "
        "2 notes to send, 6 contacts in all.\n"
    )
    assert "Done? `mkdocs-backlinks mark f-new.org --status sent`" in text
    assert "| d-sent.org | 1 | 1 | 2024-03-02 | 0 |" in text
    assert "| f-new.org | 1 | 1 | never | 0 |" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_render_markdown_escapes_brackets_in_titles() -> None:
    ledger = merge_build(Ledger(), [seen("https://x.org/a", "index.md", "see [1]")], DAY1)
    text = render_markdown(report_of(ledger))
    assert "- [see \\[1\\]](https://x.org/a)" in text


def test_report_summary_and_done_statuses() -> None:
    ledger = marked_everywhere()
    report = report_of(ledger)
    assert fields(report)["summary"] == {
        "contacts": 6,
        "citations": 6,
        "by_status": dict.fromkeys(STATUSES, 1),
        "to_do": 2,
        "broken": 0,
    }
    assert [row["done"] for row in fields(report)["contacts"]] == [
        False,
        False,
        True,
        True,
        True,
        True,
    ]
    assert fields(report_of(ledger, done_statuses=("sent",)))["summary"]["to_do"] == 5
    assert fields(report_of(ledger, done_statuses=()))["summary"]["to_do"] == 6


def test_report_leaves_out_excluded_sites_and_their_subdomains() -> None:
    observed = [
        seen("https://example.org/a", "a.md"),
        seen("https://docs.example.org/b", "a.md"),
        seen("https://other.net/c", "a.md"),
    ]
    ledger = merge_build(Ledger(), observed, DAY1)
    report = report_of(ledger, exclude_sites=("example.org",))
    assert [row["id"] for row in fields(report)["contacts"]] == ["other.net"]
    assert [rel["site"] for rel in fields(report)["relationships"]] == ["other.net"]
    assert fields(report)["summary"]["contacts"] == 1


def test_uncited_contacts_are_not_to_do_and_say_so() -> None:
    first = merge_build(Ledger(), BASIC, DAY1)
    ledger = merge_build(first, BASIC[1:], DAY2)
    report = report_of(ledger)
    alpha = next(row for row in fields(report)["contacts"] if row["id"] == "alpha.org")
    assert alpha["cited"] is False
    assert alpha["suggestions"] == ["no longer cited"]
    assert fields(report)["summary"]["to_do"] == 2
    # Uncited contacts come last within their status.
    assert [row["id"] for row in fields(report)["contacts"]] == [
        "beta.net",
        "gamma.io",
        "alpha.org",
    ]


def test_many_pages_suggestion() -> None:
    observed = [seen("https://x.org/a", f"p{i}.md") for i in range(3)]
    report = report_of(merge_build(Ledger(), observed, DAY1))
    assert fields(report)["contacts"][0]["suggestions"] == ["cited in 3 pages, never contacted"]
    assert fields(report)["relationships"] == [
        {
            "site": "x.org",
            "citations": 3,
            "pages": 3,
            "last_told": None,
            "mentions": 0,
            "status": "new",
            "suggestions": ["cited in 3 pages, never contacted"],
        }
    ]
    two = report_of(merge_build(Ledger(), observed[:2], DAY1))
    assert fields(two)["contacts"][0]["suggestions"] == []


def test_render_csv_parses_back_with_the_right_columns() -> None:
    ledger = mark(merge_build(Ledger(), BASIC, DAY1), "beta.net", "skipped", DAY2, 'said "no", ok')
    report = report_of(ledger)
    text = render_csv(report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[0] == [
        "id", "site", "name", "email", "status", "reason", "cited", "first_seen", "last_seen",
        "last_told", "works", "pages", "suggestions", "subject", "note", "mark_command",
        "best_route", "broken_works", "public_post",
    ]  # fmt: skip
    records = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in records] == ["alpha.org", "gamma.io", "beta.net"]
    beta = records[2]
    assert beta["status"] == "skipped"
    assert beta["reason"] == 'said "no", ok'
    assert beta["cited"] == "yes"
    assert beta["works"] == "https://beta.net/"
    assert beta["pages"] == "https://me.example/"
    assert beta["mark_command"] == "mkdocs-backlinks mark beta.net --status sent"
    assert beta["best_route"] == "https://beta.net/"  # nothing better known yet
    assert beta["broken_works"] == ""
    gamma = records[1]
    assert gamma["subject"] == 'I mentioned your work in "Title of notes"'
    assert gamma["note"] == fields(report)["contacts"][1]["note"]["body"]
    assert gamma["note"].count("\n") > 3  # the multi-line note survives the round trip
    assert len(records) == 3


def test_render_table_columns() -> None:
    report = report_of(mark(merge_build(Ledger(), BASIC, DAY1), "beta.net", "sent", DAY2))
    lines = render_table(report.contacts).splitlines()
    assert lines[0].split() == ["ID", "STATUS", "CITED", "PAGES", "EMAIL", "SUGGESTION"]
    assert [line.split() for line in lines[1:]] == [
        ["alpha.org", "new", "yes", "1", "-", "-"],
        ["gamma.io", "new", "yes", "1", "-", "-"],
        ["beta.net", "sent", "yes", "1", "-", "-"],
    ]


def test_filter_rows_by_status_and_site() -> None:
    report = report_of(mark(merge_build(Ledger(), BASIC, DAY1), "beta.net", "sent", DAY2))
    ids = lambda r: [row.id for row in r.contacts]  # noqa: E731
    assert ids(filter_rows(report, ["sent"])) == ["beta.net"]
    assert ids(filter_rows(report, ["new", "sent"])) == ["alpha.org", "gamma.io", "beta.net"]
    assert ids(filter_rows(report, [], "gamma.io")) == ["gamma.io"]
    assert ids(filter_rows(report, [], "GAMMA.IO")) == ["gamma.io"]
    assert ids(filter_rows(report, ["sent"], "gamma.io")) == []
    assert filter_rows(report, ["sent"]).summary == report.summary


def test_note_names_work_page_url_and_context() -> None:
    report = report_of(merge_build(Ledger(), BASIC, DAY1))
    gamma = next(row for row in fields(report)["contacts"] if row["id"] == "gamma.io")
    assert gamma["note"]["subject"] == 'I mentioned your work in "Title of notes"'
    assert gamma["note"]["body"] == (
        "Hi there,\n"
        "\n"
        'I\'m Ada, and I write My Notes. I recently linked to "paper" (https://gamma.io/paper).\n'
        "\n"
        'In "Title of notes" (https://me.example/notes/) I wrote:\n'
        "\n"
        "> About paper.\n"
        "\n"
        "Thanks for writing it. It helped me, and I wanted you to know it's being read and "
        "passed on. No need to reply, unless you spot something I got wrong.\n"
        "\n"
        "Thanks,\n"
        "Ada\n"
        "https://me.example/\n"
    )
    beta = next(row for row in fields(report)["contacts"] if row["id"] == "beta.net")
    assert "I recently linked to your site (https://beta.net/)." in beta["note"]["body"]


def test_note_writer_reads_subject_and_tidies_blank_lines(tmp_path: Path) -> None:
    template = tmp_path / "note.txt"
    template.write_text(
        "\n\nSUBJECT:   Hello {{ contact.site }}  \n\n\n\nLine one.   \n\n\n\nLine two.\n\n\n",
        encoding="utf-8",
    )
    writer = NoteWriter(template)
    subject, body = writer.write({"contact": {"site": "x.org"}})
    assert subject == "Hello x.org"
    assert body == "Line one.\n\nLine two.\n"


def test_note_writer_without_subject_line(tmp_path: Path) -> None:
    template = tmp_path / "note.txt"
    template.write_text("Hi {{ contact.site }}.\n", encoding="utf-8")
    assert NoteWriter(template).write({"contact": {"site": "x.org"}}) == ("", "Hi x.org.\n")


def test_note_writer_rejects_syntax_errors_naming_the_file(tmp_path: Path) -> None:
    template = tmp_path / "note.txt"
    template.write_text("{% if %}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"Cannot load the note template .*note\.txt"):
        NoteWriter(template)


# --------------------------------------------------------------------------- mark_command


def test_mark_command_plain() -> None:
    assert (
        mark_command("alpha.org", "mkdocs.yml") == "mkdocs-backlinks mark alpha.org --status sent"
    )
    assert mark_command("alpha.org", "") == "mkdocs-backlinks mark alpha.org --status sent"
    assert (
        mark_command("alpha.org", "other.yml")
        == "mkdocs-backlinks mark alpha.org --status sent -f other.yml"
    )


@pytest.mark.parametrize(
    ("contact_id", "quoted"),
    [
        ("o'brien blog", "'o'\\''brien blog'"),
        ("a b", "'a b'"),
        ("$HOME", "'$HOME'"),
        ("x;rm -rf", "'x;rm -rf'"),
        ("back`tick`", "'back`tick`'"),
        ("", "''"),
        ("host:8080", "host:8080"),
    ],
)
def test_mark_command_quotes_odd_ids(contact_id: str, quoted: str) -> None:
    command = mark_command(contact_id, "my site.yml")
    assert command == f"mkdocs-backlinks mark {quoted} --status sent -f 'my site.yml'"
    # A shell gives back exactly the id and the file name.
    assert shlex.split(command) == [
        "mkdocs-backlinks",
        "mark",
        contact_id,
        "--status",
        "sent",
        "-f",
        "my site.yml",
    ]


# ------------------------------------------------------------------- build citations


def desk_in(folder: Path) -> OutreachDesk:
    desk = OutreachDesk(folder, settings())
    desk.load()
    return desk


def test_record_reads_a_one_pass_iterable_in_full(tmp_path: Path) -> None:
    """`record` reads what it is given twice (digest, then merge) when something changed: a
    generator must not reach the merge already spent, which would record no citation at all."""
    from_list = tmp_path / "list"
    from_iterator = tmp_path / "iterator"
    desk_in(from_list).record(list(BASIC))
    summary = desk_in(from_iterator).record(iter(BASIC))
    recorded = load_ledger(from_iterator / "ledger.json")
    assert sorted(recorded.works) == sorted(load_ledger(from_list / "ledger.json").works)
    assert len(recorded.works) == 3 and summary["contacts"] == 3
    assert (from_iterator / "ledger.json").read_bytes() == (from_list / "ledger.json").read_bytes()


def test_observed_digest_is_the_one_ledgers_were_written_with() -> None:
    """Ledgers already committed hold this digest in their head line: a rebuild that changes
    nothing takes the fast path only while the same citations give the same digest, so these
    values (made by the digest as first released) must not change."""
    assert observed_digest(BASIC) == (
        "a8903e1b547a4c8bf87072958b66bf0a8ea17cf7a472a7d61243562086b4fcea"
    )
    assert observed_digest([]) == hashlib.sha256().hexdigest()
    meta = {"https://beta.net/": WorkMeta(status="ok", title="Beta", author="B")}
    assert observed_digest(BASIC, meta) == (
        "9bbf1d2d3ce09fa5a17e54614fa25f9d691d9795292aebeab42275203a62550c"
    )
    # The reference: every citation's fields joined by US, each closed by RS.
    reference = hashlib.sha256()
    for item in BASIC:
        fields = (item.url, item.page, item.page_title, item.page_url, item.text, item.context)
        reference.update("\x1f".join(fields).encode() + b"\x1e")
    assert observed_digest(iter(BASIC)) == reference.hexdigest()


def test_gathering_takes_the_same_digest_in_its_one_pass() -> None:
    """A first build gathers its citations without a digest pass of its own; the digest it
    writes must be the one the next build compares with (`observed_digest`)."""
    meta = {"https://beta.net/": WorkMeta(status="ok", title="Beta", author="B")}
    for metadata in (None, meta):
        expected = observed_digest(BASIC, metadata)
        assert gather(iter(BASIC), metadata).digest == expected
        assert gather(BASIC, metadata, "given").digest == "given"


def test_observed_citations_read_twice_give_the_same() -> None:
    graph = LinkGraph()
    citation = ("a/b.md", "https://x.org/?a=1", "https://x.org/?a=1", "", "T", "C", "", (), False)
    graph.add_page(PageInfo("a/b.md", "a/b/", "B \u00e9", {}), [citation])
    graph.add_page(
        PageInfo("index.md", "", "Home", {}),
        [("index.md", "a/b.md", "a/b.md", "", "in", "", "", (), True)],
    )
    observed = ObservedCitations(graph, "https://me.example/sub")
    first = list(observed)
    assert first == [
        Observed(
            "https://x.org/?a=1", "a/b.md", "B \u00e9", "https://me.example/sub/a/b/", "T", "C"
        )
    ]
    assert list(observed) == first
    assert observed_digest(observed) == observed_digest(first)


# --------------------------------------------------------------------------- lists as chunks
# The build writes the four lists as they are made (they are megabytes on a large site, and
# the build's memory peaks when it writes them); what it writes must be what one text gives.


def every_kind_of_contact() -> Ledger:
    """Every status, a contact no longer cited, a dead work, non-ASCII and markup in texts."""
    ledger = marked_everywhere()
    ledger = merge_build(
        ledger,
        [
            *[seen(f"https://{c}/post", "index.md", c) for c in ledger.contacts],
            seen("https://ünï.example/ß?q=<b>", "notes.md", 'a "quoted" <i>title</i>', "Ça va."),
            seen("https://beta.net/x", "deep/page.md", "beta", "Line\nbreak & more."),
        ],
        DAY2,
    )
    # One contact no longer cited, one work broken.
    return merge_build(
        ledger,
        [seen(f"https://{c}/post", "index.md", c) for c in ledger.contacts if c != "a-skipped.org"]
        + [seen("https://beta.net/x", "deep/page.md", "beta", "Line\nbreak & more.")],
        DAY3,
        metadata={"https://beta.net/x": WorkMeta(status="broken", checked=DAY3)},
    )


REPORTS = {
    "rich": lambda: report_of(every_kind_of_contact(), mentions=(("mentions-only.org", 2, DAY2),)),
    "empty": lambda: report_of(Ledger()),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_chunks_are_one_compact_dump(name: str) -> None:
    report = REPORTS[name]()
    expected = json.dumps(
        report.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert "".join(json_chunks(report)) == expected + "\n"


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_markdown_ends_with_one_newline(name: str) -> None:
    text = "".join(markdown_chunks(REPORTS[name]()))
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert text == render_markdown(REPORTS[name]())


@pytest.mark.parametrize(
    "pieces",
    [
        ["a\n", "\n", "\n\n", ""],
        ["a\n\n", "b", "\n"],
        ["", "a"],
        ["\n", "\n"],
        [],
        ["a\nb\n\n\n", "c\n\n", "\n"],
    ],
)
def test_pieces_end_in_one_newline_like_the_joined_text(pieces: list[str]) -> None:
    joined = "".join(pieces).rstrip("\n") + "\n"
    assert "".join(ends_in_one_newline(iter(pieces))) == joined


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_review_page_renders_as_a_plain_jinja_environment_would(name: str) -> None:
    # The review page reads the report's dataclasses through its own environment; the page
    # must come out exactly as Jinja's usual attribute-first lookup makes it.
    import jinja2

    from mkdocs_backlinks.outreach.formats import REVIEW_TEMPLATE, review_template
    from mkdocs_backlinks.outreach.notes import OUTREACH_TEMPLATES

    report = REPORTS[name]()
    plain = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    plain.globals.update(review_template().globals)
    expected = plain.get_template(REVIEW_TEMPLATE).render(
        report=report, cards=report.contacts, brief=(), offset=0, served=None
    )
    assert "".join(html_chunks(report)) == expected
    assert "ünï.example" in expected or name == "empty"


def test_observed_citations_release_the_graph_after_the_merge(tmp_path: Path) -> None:
    graph = LinkGraph()
    links = [("index.md", "https://a.org/x", "https://a.org/x", "", "A", "About A.", "", (), False)]
    graph.add_page(PageInfo("index.md", "", "Home", {}), links)  # type: ignore[arg-type]
    observed = ObservedCitations(graph, "https://me.example/")
    desk = OutreachDesk(tmp_path, settings())
    desk.load()
    desk.record(observed)
    ledger = load_ledger(tmp_path / "ledger.json")
    assert list(ledger.works) == ["https://a.org/x"]
    assert ledger.works["https://a.org/x"].citations[0].context == "About A."
    assert list(observed) == []  # let go once merged


# --------------------------------------------------------------------------- read a line at a time
# A build that records a change reads the old ledger a line at a time (to keep its memory
# peak down). It must give what the whole-document parser gives, or decline and leave the file
# to it; it must never accept what the parser refuses, nor read something else.


def ledger_with_everything() -> Ledger:
    """Routes, metadata, sends, non-ASCII and escapes: every kind of line the file has."""
    ledger = rich_ledger()
    meta = WorkMeta(
        status="ok",
        title='“Guide” <b>\\ "quoted"',
        author="Zoë",
        checked=DAY3,
        routes=Routes(emails=("ed@gamma.io",), webmention="https://gamma.io/wm"),
    )
    works = {
        url: replace(work, meta=meta) if url.startswith("https://gamma") else work
        for url, work in ledger.works.items()
    }
    sends = {
        "é.md": PageSends(
            "é.md",
            "https://me.example/é/",
            {"https://delta.com/ü": SentTarget("https://delta.com/ü", "d1", "accepted", DAY3)},
        ),
        "index.md": PageSends("index.md", "https://me.example/", {}, deleted=True),
    }
    return replace(ledger, works=works, sends=sends, observed="abc")


def whole(path: Path) -> tuple[Ledger, str, str]:
    text = path.read_text(encoding="utf-8")
    head, _, records = text.partition("\n")
    return load_ledger(path), head + "\n", hashlib.sha256(records.encode()).hexdigest()


@pytest.mark.parametrize("make", [ledger_with_everything, rich_ledger, Ledger])
def test_a_written_ledger_reads_the_same_a_line_at_a_time(
    tmp_path: Path, make: Callable[[], Ledger]
) -> None:
    path = tmp_path / "ledger.json"
    save_ledger(path, make())
    found = read_ledger_lines(path)
    assert found is not None
    assert tuple(found) == whole(path)
    assert found.ledger == make()


def test_a_work_cited_as_before_takes_the_builds_citations_instead_of_a_copy(
    tmp_path: Path,
) -> None:
    # After an edit most works are cited as before: the old ledger's decoded citations of such
    # a work are let go for the build's own tuple, so each citation is held once at the peak.
    path = tmp_path / "ledger.json"
    ledger = ledger_with_everything()
    save_ledger(path, ledger)
    cited = [url for url, work in ledger.works.items() if work.citations]
    same, changed = cited[0], cited[1]
    copy = tuple(replace(c, page=c.page) for c in ledger.works[same].citations)
    other = (replace(ledger.works[changed].citations[0], text="another anchor"),)
    nowhere = (Citation("x.md", "X", "https://me.example/x/", "x", "About x."),)
    shared = {same: copy, changed: other, "https://never.example/": nowhere}
    found = read_ledger_lines(path, shared)
    assert found is not None
    assert tuple(found) == whole(path)  # the same ledger, whatever it shares
    assert found.ledger == ledger
    assert found.ledger.works[same].citations is copy
    assert found.ledger.works[changed].citations == ledger.works[changed].citations
    assert "https://never.example/" not in found.ledger.works


LONG = "".join(f'"w{n}":{{"title":"Üß € {n}"}},\r\n' for n in range(9000))


@pytest.mark.parametrize(
    "text",
    ["", "no newline at all", "head\n", 'head,\n"a":1\n', "head\r\nbody\r\nü\r\n", "h\n" + LONG],
)
def test_the_records_digest_read_in_blocks_is_the_one_of_the_text(
    tmp_path: Path, text: str
) -> None:
    # A build that finds nothing changed asks only this, at its peak: read a block at a time,
    # the answer is the one for the text as `LedgerReader.text` reads it (universal newlines).
    path = tmp_path / "ledger.json"
    path.write_bytes(text.encode())
    assert len(LONG) > 2 * ledger_file._BLOCK
    reader = LedgerReader(path)
    found = reader.text()
    assert found is not None
    assert reader.records_hash() == records_hash(found)


def test_the_records_digest_of_a_missing_or_undecodable_file_is_none(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    assert LedgerReader(path).records_hash() is None
    path.write_bytes(b'{"a":1,\n"\xff"\n')
    assert LedgerReader(path).records_hash() is None  # the whole reader names the problem
    with pytest.raises(LedgerError, match="not UTF-8"):
        LedgerReader(path).text()


def test_gathered_citations_are_in_the_ledgers_order_and_become_the_merged_works() -> None:
    observed = [
        seen("https://gamma.io/book", "notes.md", "paper", "Second."),
        seen("https://gamma.io/book", "index.md", "paper"),
        seen("https://gamma.io/book", "notes.md", "paper", "First."),
        seen("https://gamma.io/book", "index.md", "paper"),  # a repeat
        *BASIC,
    ]
    gathered = gather(observed)
    order = [(c.page, c.text, c.context) for c in gathered.by_url["https://gamma.io/book"]]
    assert order == [
        ("index.md", "paper", "About paper."),
        ("notes.md", "paper", "First."),
        ("notes.md", "paper", "Second."),
    ]
    merged = merge_gathered(Ledger(), gathered, DAY1)
    assert merged == merge_build(Ledger(), observed, DAY1)
    for url, citations in gathered.by_url.items():
        assert merged.works[url].citations is citations


def test_the_records_are_made_as_they_are_read_and_are_what_dumps_writes() -> None:
    ledger = ledger_with_everything()
    chunks = records_chunks(ledger)
    assert iter(chunks) is chunks  # an iterator: never a list of the whole text
    head, _, records = dumps(ledger).partition("\n")
    assert head_line(ledger) == head + "\n"
    assert "".join(chunks) == records
    assert "".join(records_chunks(Ledger())) == dumps(Ledger()).partition("\n")[2]


def edits(text: str) -> dict[str, str]:
    """Hand edits and damage of a written ledger `text`, by name."""
    lines = text.split("\n")
    works_at = lines.index('"works":{')
    return {
        "indented": json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n",
        "crlf": text.replace("\n", "\r\n"),
        "no final newline": text.rstrip("\n"),
        "something after the end": text + "{}\n",
        "truncated": "\n".join(lines[: works_at + 2]) + "\n",
        "comma missing between records": text.replace('},\n"gamma.io"', '}\n"gamma.io"', 1),
        "comma after the last record": text.replace('}\n},\n"works"', '},\n},\n"works"', 1),
        "comma missing between sections": text.replace('}\n},\n"works"', '}\n}\n"works"', 1),
        "sections swapped": reordered(text),
        "a repeated record": text.replace(
            '"gamma.io":', lines[2].replace('"name":""', '"name":"Al"') + '\n"gamma.io":', 1
        ),
        "a repeated record, damaged the first time": text.replace(
            lines[2], lines[2].replace('"status":"', '"status":"x') + "\n" + lines[2], 1
        ),
        "two records on a line": text.replace('},\n"gamma.io"', '},"gamma.io"', 1),
        "a record over two lines": text.replace('"site":"gamma.io"', '\n"site":"gamma.io"', 1),
        "a section in the head": text.replace('{"last_build"', '{"works":{},"last_build"', 1),
        "a bad status": text.replace('"status":"skipped"', '"status":"emailed"', 1),
        "a work of an unknown contact": text.replace('"contact":"gamma.io"', '"contact":"z"', 1),
        "a newer version": text.replace('"version":1', '"version":9', 1),
        "invalid JSON in a record": text.replace('"cited":true', '"cited":tru', 1),
        "not UTF-8": text.replace("Ü", "\udcff"),
        "empty": "",
        # Windows editors save one; the whole parser refuses it, as `json.loads` of text does.
        "a byte order mark": "\ufeff" + text,
        # The decoders give up (RecursionError) long before the end of such a line.
        "nested too deeply": text.replace('"cited":true', '"cited":true,"x":' + DEEP, 1),
        "extra white space in a record": text.replace('"cited":true', '"cited": true', 1),
        "a key with an escaped quote": text.replace(
            '"https://delta.com/ü":{', '"https://delta.com/\\"ü":{', 1
        ),
    }


DEEP = "[" * 100_000 + "]" * 100_000


def reordered(text: str) -> str:
    """`text` with its works before its contacts, in the written layout otherwise: valid,
    and read by the whole parser, which does not mind the order."""
    data = json.loads(text)
    sections = {name: data.pop(name).items() for name in ("works", "contacts", "sends")}
    return "".join(dump_json_lines(data, sections))


EDITS = sorted(edits(dumps(ledger_with_everything())))


@pytest.mark.parametrize("name", EDITS)
def test_an_edited_ledger_reads_the_same_or_is_left_to_the_whole_parser(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "ledger.json"
    text = edits(dumps(ledger_with_everything()))[name]
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        expected: tuple[Ledger, str, str] | None = whole(path)
    except (LedgerError, UnicodeDecodeError):
        expected = None  # the whole parser refuses it: so must the line reader
    found = read_ledger_lines(path)
    if found is not None:
        assert tuple(found) == expected
    assert found is not None or name not in {
        "extra white space in a record",
        "a key with an escaped quote",
        "a repeated record",
    }  # still the written layout: read, not left to the slow path
    if name == "a repeated record":  # in its first place, with its last value
        assert found is not None
        assert next(iter(found.ledger.contacts)) == "alpha.org"
        assert found.ledger.contacts["alpha.org"].name == "Al"


def test_a_missing_ledger_is_left_to_the_whole_parser(tmp_path: Path) -> None:
    assert read_ledger_lines(tmp_path / "ledger.json") is None


@pytest.mark.parametrize("name", EDITS)
def test_the_readers_file_view_is_the_whole_ledger_however_the_file_is_laid_out(
    tmp_path: Path, name: str
) -> None:
    # `LedgerReader.file` reads line by line when it can and as one document when it cannot:
    # either way, what the whole parser gives, or the LedgerError that names the problem.
    path = tmp_path / "ledger.json"
    text = edits(dumps(ledger_with_everything()))[name]
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        expected = whole(path)
    except (LedgerError, UnicodeDecodeError):
        with pytest.raises(LedgerError, match=r"^The ledger "):
            LedgerReader(path).file()
        return
    assert tuple(LedgerReader(path).file()) == expected


def test_the_readers_views_agree(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    reader = LedgerReader(path)
    assert reader.file() == (Ledger(), "", "")
    assert (reader.text(), reader.ledger(), reader.head(), reader.metadata()) == (
        None,
        Ledger(),
        None,
        {},
    )
    ledger = ledger_with_everything()
    save_ledger(path, ledger)
    text = path.read_text(encoding="utf-8")
    assert reader.text() == text
    assert reader.ledger() == reader.parse(text) == read_ledger(path) == ledger
    assert reader.head() == Ledger(
        last_build=ledger.last_build, observed=ledger.observed, lists=ledger.lists
    )
    stored = {url: work.meta for url, work in ledger.works.items() if work.meta}
    assert stored
    assert reader.metadata() == reader.metadata(text) == stored
    assert reader.file() == reader.lines() == whole(path)
    assert reader.file().records_hash == records_hash(text)


def test_reading_the_ledger_keeps_nothing_for_a_later_save(tmp_path: Path) -> None:
    # Only `load_ledger` keeps what it read, as the base `save_ledger` merges against: a build
    # that reads the ledger for its titles must not hold it until it ends.
    path = tmp_path / "ledger.json"
    save_ledger(path, rich_ledger())
    ledger_file._read.clear()
    read_ledger(path)
    LedgerReader(path).file()
    assert ledger_file._read == {}
    load_ledger(path)
    assert list(ledger_file._read) == [str(path.absolute())]


def test_a_ledger_nested_too_deeply_is_a_ledger_error(tmp_path: Path) -> None:
    # The JSON decoder raises RecursionError, which is no ValueError: it crashed the build
    # with a traceback instead of the message that names the file.
    path = tmp_path / "ledger.json"
    text = dumps(rich_ledger()).replace('"cited":true', '"cited":true,"x":' + DEEP, 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LedgerError, match=r"nested too deeply to read\. It was left untouched"):
        load_ledger(path)
    path.write_text('{"x":' + DEEP + ",\n" + text.partition("\n")[2], encoding="utf-8")
    assert read_head(path) is None  # the whole parser then names the problem
    with pytest.raises(LedgerError, match="nested too deeply"):
        load_ledger(path)


@pytest.mark.parametrize(
    ("text", "records"),
    [("head,\nrecords\n", "records\n"), ('{"one":"line"}', ""), ("", ""), ("\n", "")],
)
def test_the_records_digest_is_of_what_follows_the_first_line(text: str, records: str) -> None:
    # A text without a newline has no records: it was digested whole, so a one-line ledger
    # and an empty one had different digests.
    assert records_hash(text) == hashlib.sha256(records.encode()).hexdigest()
