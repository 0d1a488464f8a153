"""The outreach feature end to end: real `mkdocs build` runs write the ledger and the lists into
the data folder, and the `mkdocs-backlinks` command reads and changes them.

Dates are pinned with `SOURCE_DATE_EPOCH` (MkDocs and the plugin both read it); moving it between
builds simulates days passing. The command runs in-process through `cli.main` (output captured
with capsys), and as the installed console script where the exit status and stderr matter.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_backlinks.cli.main import main
from tests.conftest import with_test_defaults

if TYPE_CHECKING:
    from tests.conftest import MakeSite, Site

EPOCH = 1700000000  # 2023-11-14 22:13:20 UTC
DAY = 86400
D1, D2, D3 = "2023-11-14", "2023-11-15", "2023-11-16"
SITE_URL = "https://example.com/docs/"
LIST_FILES = ("outreach.md", "outreach.csv", "outreach.json", "outreach.html")
LOGGER = "mkdocs.plugins.mkdocs_backlinks.plugin"

INDEX = """\
# Home

Read [the guide](https://www.Alpha.org/guide?utm_source=feed#intro) for the basics.

Also see [Beta's blog](https://beta.net/).
"""
NOTES = """\
# Field notes

The [paper](https://gamma.io/paper) explains it well.
"""
PAGES = {"index.md": INDEX, "notes.md": NOTES}


# --------------------------------------------------------------------------- helpers


SetDay = Callable[[int], None]


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> SetDay:
    """`on_day(n)` pins the date to day n (day 1 is 2023-11-14); day 1 is set from the start."""

    def set_day(n: int) -> None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + (n - 1) * DAY))

    set_day(1)
    return set_day


def new_site(
    make_site: MakeSite,
    pages: dict[str, str] | None = None,
    plugin_options: dict[str, Any] | None = None,
    **mkdocs_options: Any,
) -> Site:
    options = {"site_url": SITE_URL, "site_author": "Pat", **mkdocs_options}
    return make_site(PAGES if pages is None else pages, plugin_options, **options)


def data(site: Site, name: str = "", folder: str = "backlinks") -> Path:
    return site.root / folder / name


def ledger(site: Site, folder: str = "backlinks") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data(site, "ledger.json", folder).read_text(encoding="utf-8"))
    return doc


def report(site: Site, folder: str = "backlinks") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        data(site, "outreach.json", folder).read_text(encoding="utf-8")
    )
    return doc


def markdown(site: Site, folder: str = "backlinks") -> str:
    return data(site, "outreach.md", folder).read_text(encoding="utf-8")


def md_groups(text: str) -> dict[str, list[str]]:
    """`## Status (n)` heading -> the `### site` headings under it, in order."""
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = groups.setdefault(line[3:], [])
        elif line.startswith("### ") and current is not None:
            current.append(line[4:])
    return groups


def md_section(text: str, site_name: str) -> str:
    """The lines under `### site` up to the next heading."""
    start = text.index(f"\n### {site_name}\n")
    rest = text[start + 1 :]
    ends = [i for i in (rest.find("\n### ", 1), rest.find("\n## ", 1)) if i != -1]
    return rest[: min(ends)] if ends else rest


def row(site: Site, contact_id: str) -> dict[str, Any]:
    return next(r for r in report(site)["contacts"] if r["id"] == contact_id)


def statuses(site: Site) -> dict[str, str]:
    return {cid: c["status"] for cid, c in ledger(site)["contacts"].items()}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def inodes(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def errors(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def write_config(site: Site, name: str, changes: dict[str, Any]) -> Path:
    """Rewrite the site's configuration with top-level `changes`, under file `name`."""
    config = yaml.safe_load(site.config_file.read_text(encoding="utf-8"))
    config.update(changes)
    path = site.root / name
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def set_plugin_options(site: Site, options: dict[str, Any]) -> None:
    write_config(site, "mkdocs.yml", {"plugins": [{"backlinks": with_test_defaults(options)}]})


def script() -> str:
    found = shutil.which("mkdocs-backlinks") or str(
        Path(sys.executable).parent / "mkdocs-backlinks"
    )
    assert Path(found).is_file(), found
    return found


def run_script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )


# --------------------------------------------------------------------------- the first build


def test_first_build_writes_the_ledger(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site)
    site.build()
    doc = ledger(site)
    assert doc["schema"] == "mkdocs-backlinks/ledger"
    assert doc["version"] == 1
    assert doc["last_build"] == D1
    assert list(doc["contacts"]) == ["alpha.org", "beta.net", "gamma.io"]
    assert doc["contacts"]["alpha.org"] == {
        "site": "alpha.org",
        "status": "new",
        "reason": "",
        "name": "",
        "email": "",
        "first_seen": D1,
        "last_seen": None,
        "cited": True,
        "history": [{"date": D1, "status": "new", "reason": ""}],
    }
    assert list(doc["works"]) == [
        "https://beta.net/",
        "https://gamma.io/paper",
        "https://www.alpha.org/guide",
    ]
    assert doc["works"]["https://www.alpha.org/guide"] == {
        "site": "alpha.org",
        "contact": "alpha.org",
        "first_seen": D1,
        "last_seen": None,
        "cited": True,
        "citations": [
            {
                "page": "index.md",
                "page_title": "Home",
                "page_url": "https://example.com/docs/",
                "text": "the guide",
                "context": "Read the guide for the basics.",
            }
        ],
    }
    assert doc["works"]["https://gamma.io/paper"]["citations"] == [
        {
            "page": "notes.md",
            "page_title": "Field notes",
            "page_url": "https://example.com/docs/notes/",
            "text": "paper",
            "context": "The paper explains it well.",
        }
    ]
    assert doc["works"]["https://beta.net/"]["citations"][0]["context"] == "Also see Beta's blog."


def test_a_dev_server_or_a_private_address_is_nobody_to_tell(
    make_site: MakeSite, on_day: SetDay
) -> None:
    # What a tutorial links to: its own dev server, a router, a box on the LAN. None is a
    # work anyone published: no credit, no contact, no citation in the export; a public
    # site in the same paragraph stays.
    pages = {
        **PAGES,
        "setup.md": (
            "# Setup\n\nRun `mkdocs serve` and open [the preview](http://127.0.0.1:8000/), "
            "or [localhost](http://localhost:8000/setup/). The router is at "
            "[192.168.1.1](http://192.168.1.1/), the wiki at [10.0.0.5](https://10.0.0.5/wiki). "
            "The [docs](https://gamma.io/docs) say more.\n"
        ),
    }
    site = new_site(make_site, pages)
    site.build()
    assert list(ledger(site)["contacts"]) == ["alpha.org", "beta.net", "gamma.io"]
    assert "https://gamma.io/docs" in ledger(site)["works"]
    assert [c["site"] for c in report(site)["contacts"]] == ["alpha.org", "beta.net", "gamma.io"]
    cited = [c["target"] for c in site.graph()["pages"]["setup.md"]["citations"]]
    assert cited == ["https://gamma.io/docs"]
    html = site.html("setup/index.html")
    start = html.index('<section class="backlinks backlinks-credits"')
    credits = html[start : html.index("</section>", start)]
    assert "gamma.io" in credits
    assert "127.0.0.1" not in credits and "192.168" not in credits and "10.0.0.5" not in credits

    # Allowed networks (an intranet the pages cite) are citations again.
    intranet = new_site(make_site, pages, {"allow_networks": ["10.0.0.0/8"]})
    intranet.build()
    contacts = list(ledger(intranet)["contacts"])
    assert contacts == ["10.0.0.5", "alpha.org", "beta.net", "gamma.io"]


def test_first_build_writes_the_four_lists(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site)
    site.build()
    assert sorted(p.name for p in data(site).iterdir()) == sorted(["ledger.json", *LIST_FILES])
    html = data(site, "outreach.html").read_text(encoding="utf-8")
    for cid in ("alpha.org", "beta.net", "gamma.io"):
        assert cid in html
    doc = report(site)
    assert doc["schema"] == "mkdocs-backlinks/outreach"
    assert doc["generated"] == D1
    assert doc["site"] == {"name": "Test site", "url": SITE_URL}
    assert doc["summary"] == {
        "contacts": 3,
        "citations": 3,
        "by_status": {
            "new": 3,
            "pending": 0,
            "sent": 0,
            "replied": 0,
            "linked-back": 0,
            "skipped": 0,
        },
        "to_do": 3,
        "broken": 0,
    }
    assert md_groups(markdown(site)) == {
        "New (3)": ["alpha.org", "beta.net", "gamma.io"],
        "Relationships": [],
    }
    rows = list(csv.DictReader(io.StringIO(data(site, "outreach.csv").read_text("utf-8"))))
    assert [(r["id"], r["status"], r["cited"]) for r in rows] == [
        ("alpha.org", "new", "yes"),
        ("beta.net", "new", "yes"),
        ("gamma.io", "new", "yes"),
    ]
    # Nothing private lands in site_dir.
    assert not list(site.site_dir.rglob("ledger.json"))
    assert not list(site.site_dir.rglob("outreach.*"))


def test_note_template_is_not_published(make_site: MakeSite, on_day: SetDay) -> None:
    # The plugin's template folder is added to the theme; MkDocs copies a theme's non-HTML
    # files into site_dir, so the shipped note template should not be one of them.
    site = new_site(make_site)
    site.build()
    assert (site.site_dir / "index.html").is_file()
    assert not list(site.site_dir.rglob("outreach_note*"))


def test_build_log_counts_new_contacts_and_notes(
    make_site: MakeSite,
    on_day: SetDay,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    site = new_site(make_site)
    elsewhere = site.root.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # outside the site: the path is shown in full
    site.build()
    review = data(site, "outreach.html")
    assert info_lines(caplog) == [
        f"mkdocs_backlinks: 2 pages, 0 internal links, 3 citations; 3 new contacts, "
        f"3 notes to send: review {review}"
    ]
    assert "## New (3)" in markdown(site)
    caplog.clear()
    site.build()
    # "new" means one thing in the log and the list: not looked at since it appeared.
    assert info_lines(caplog) == [
        f"mkdocs_backlinks: 2 pages, 0 internal links, 3 citations; 3 new contacts, "
        f"3 notes to send: review {review}"
    ]


def test_build_log_shows_a_relative_path_from_the_site_folder(
    make_site: MakeSite,
    on_day: SetDay,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO)
    site = new_site(make_site)
    monkeypatch.chdir(site.root)
    site.build()
    assert info_lines(caplog)[0].endswith("notes to send: review backlinks/outreach.html")


# --------------------------------------------------------------------------- later builds


@pytest.mark.slow
def test_second_build_marks_only_the_added_contact_new(
    make_site: MakeSite,
    on_day: SetDay,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = new_site(make_site)
    site.build()
    on_day(2)
    cfg = str(site.config_file)
    assert cli(capsys, "mark", "beta.net", "--status", "sent", "-f", cfg)[0] == 0
    assert cli(capsys, "mark", "gamma.io", "--status", "skipped", "-f", cfg)[0] == 0
    site.write("more.md", "# More\n\nA [tool](https://delta.com/tool) I use.\n")
    caplog.set_level(logging.INFO)
    site.build()

    assert statuses(site) == {
        "alpha.org": "pending",
        "beta.net": "sent",
        "delta.com": "new",
        "gamma.io": "skipped",
    }
    contacts = ledger(site)["contacts"]
    assert contacts["alpha.org"]["history"] == [
        {"date": D1, "status": "new", "reason": ""},
        {"date": D2, "status": "pending", "reason": ""},
    ]
    assert contacts["beta.net"]["history"] == [
        {"date": D1, "status": "new", "reason": ""},
        {"date": D2, "status": "sent", "reason": ""},
    ]
    assert contacts["delta.com"]["history"] == [{"date": D2, "status": "new", "reason": ""}]
    assert contacts["delta.com"]["first_seen"] == D2
    assert md_groups(markdown(site)) == {
        "New (1)": ["delta.com"],
        "Pending (1)": ["alpha.org"],
        "Sent (1)": ["beta.net"],
        "Skipped (1)": ["gamma.io"],
        "Relationships": [],
    }
    assert "; 1 new contacts, 2 notes to send: review" in info_lines(caplog)[-1]

    # A third build that brings nobody new changes no status.
    on_day(3)
    site.build()
    assert statuses(site) == {
        "alpha.org": "pending",
        "beta.net": "sent",
        "delta.com": "new",
        "gamma.io": "skipped",
    }


def test_removed_citation_is_kept_as_no_longer_cited(make_site: MakeSite, on_day: SetDay) -> None:
    index = INDEX + "\nAnd [more from gamma](https://gamma.io/more).\n"
    site = new_site(make_site, {"index.md": index, "notes.md": NOTES})
    site.build()
    on_day(2)
    site.write("index.md", "# Home\n\nAlso see [Beta's blog](https://beta.net/).\n")
    site.build()

    doc = ledger(site)
    assert doc["last_build"] == D2
    guide = doc["works"]["https://www.alpha.org/guide"]
    assert (guide["cited"], guide["first_seen"], guide["last_seen"]) == (False, D1, D1)
    assert guide["citations"][0]["context"] == "Read the guide for the basics."
    more = doc["works"]["https://gamma.io/more"]
    assert (more["cited"], more["last_seen"]) == (False, D1)
    assert doc["works"]["https://gamma.io/paper"]["cited"] is True
    alpha = doc["contacts"]["alpha.org"]
    assert (alpha["cited"], alpha["last_seen"], alpha["status"]) == (False, D1, "new")
    gamma = doc["contacts"]["gamma.io"]
    assert (gamma["cited"], gamma["last_seen"]) == (True, None)

    text = markdown(site)
    section = md_section(text, "alpha.org")
    assert "No longer cited." in section
    assert "*Suggestion: no longer cited.*" in section
    assert "No longer cited." not in md_section(text, "gamma.io")
    assert row(site, "alpha.org")["suggestions"] == ["no longer cited"]
    assert report(site)["summary"]["to_do"] == 2  # beta and gamma; alpha is no longer cited
    rows = list(csv.DictReader(io.StringIO(data(site, "outreach.csv").read_text("utf-8"))))
    assert {r["id"]: r["cited"] for r in rows} == {
        "alpha.org": "no",
        "beta.net": "yes",
        "gamma.io": "yes",
    }

    # Later builds keep the date of the last build that cited it.
    on_day(3)
    site.build()
    assert ledger(site)["works"]["https://www.alpha.org/guide"]["last_seen"] == D1
    assert ledger(site)["contacts"]["alpha.org"]["last_seen"] == D1


@pytest.mark.slow
def test_citation_that_comes_back_is_cited_again(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site)
    site.build()
    on_day(2)
    site.write("index.md", "# Home\n\nAlso see [Beta's blog](https://beta.net/).\n")
    site.build()
    on_day(3)
    site.write("index.md", INDEX)
    site.build()
    doc = ledger(site)
    assert doc["works"]["https://www.alpha.org/guide"]["cited"] is True
    assert doc["works"]["https://www.alpha.org/guide"]["first_seen"] == D1
    assert doc["contacts"]["alpha.org"]["cited"] is True
    assert "No longer cited." not in markdown(site)


# --------------------------------------------------------------------------- reproducibility


def test_same_input_same_day_gives_identical_files(make_site: MakeSite, on_day: SetDay) -> None:
    first = new_site(make_site)
    second = new_site(make_site)
    first.build()
    second.build()
    assert snapshot(data(first)) == snapshot(data(second))
    before = snapshot(data(first))
    files = inodes(data(first))
    first.build()
    assert snapshot(data(first)) == before
    # An unchanged rebuild writes nothing in the data folder.
    assert inodes(data(first)) == files


def test_later_day_with_nothing_changed_writes_nothing(make_site: MakeSite, on_day: SetDay) -> None:
    """A committed ledger stays as checked out: no date is rewritten by a build that changed
    nothing (building the sample site used to dirty the checkout)."""
    site = new_site(make_site)
    site.build()
    before = snapshot(data(site))
    on_day(3)
    site.build()
    assert snapshot(data(site)) == before
    assert ledger(site)["last_build"] == D1


def test_new_in_the_log_is_new_in_the_list(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    """A build that brings a contact moves the earlier new ones to pending: the log and the
    list both count the one that came."""
    caplog.set_level(logging.INFO)
    site = new_site(make_site)
    site.build()
    on_day(2)
    site.write("more.md", "# More\n\nSee [delta](https://delta.dev/post).\n")
    caplog.clear()
    site.build()
    assert "; 1 new contacts, 4 notes to send" in info_lines(caplog)[-1]
    assert "## New (1)" in markdown(site) and "## Pending (3)" in markdown(site)
    assert ledger(site)["last_build"] == D2


@pytest.mark.slow
def test_lists_follow_changed_settings_and_missing_files(
    make_site: MakeSite, on_day: SetDay
) -> None:
    site = new_site(make_site)
    site.build()
    assert "\nPat\n" in row(site, "gamma.io")["note"]["body"]
    set_plugin_options(site, {"outreach": {"author": "Robin"}})
    site.build()
    assert "\nRobin\n" in row(site, "gamma.io")["note"]["body"]
    assert "I'm Robin, and I write Test site." in markdown(site)
    assert "Robin" in data(site, "outreach.csv").read_text(encoding="utf-8")
    assert "Robin" in data(site, "outreach.html").read_text(encoding="utf-8")

    data(site, "outreach.md").unlink()
    site.build()
    assert "I'm Robin" in markdown(site)

    # The lists are derived: a list edited by hand is only replaced when something changes.
    data(site, "outreach.json").write_text("{broken", encoding="utf-8")
    site.build()
    assert data(site, "outreach.json").read_text(encoding="utf-8") == "{broken"
    set_plugin_options(site, {"outreach": {"author": "Sam"}})
    site.build()
    assert report(site)["summary"]["contacts"] == 3


def test_edited_note_template_updates_the_lists(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    template = site.root / "note.txt"
    template.write_text("Subject: One\n\nFirst wording for {{ contact.site }}.\n", "utf-8")
    site.build()
    assert row(site, "gamma.io")["note"] == {
        "subject": "One",
        "body": "First wording for gamma.io.\n",
    }
    template.write_text("Subject: Two\n\nSecond wording for {{ contact.site }}.\n", "utf-8")
    site.build()
    assert row(site, "gamma.io")["note"] == {
        "subject": "Two",
        "body": "Second wording for gamma.io.\n",
    }
    assert "Second wording for gamma.io." in markdown(site)


# --------------------------------------------------------------------------- mark


@pytest.mark.parametrize(
    "ref",
    ["alpha.org", "www.alpha.org", "WWW.ALPHA.ORG", "https://www.alpha.org/guide?utm_medium=x"],
)
def test_mark_sent(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    site = new_site(make_site)
    site.build()
    others = {k: v for k, v in ledger(site)["contacts"].items() if k != "alpha.org"}
    on_day(2)
    code, out, err = cli(capsys, "mark", ref, "--status", "sent", "-f", str(site.config_file))
    assert (code, out, err) == (0, "alpha.org: sent\n", "")

    alpha = ledger(site)["contacts"]["alpha.org"]
    assert alpha["status"] == "sent"
    assert alpha["history"] == [
        {"date": D1, "status": "new", "reason": ""},
        {"date": D2, "status": "sent", "reason": ""},
    ]
    assert {k: v for k, v in ledger(site)["contacts"].items() if k != "alpha.org"} == others
    # The lists follow without a rebuild.
    assert md_groups(markdown(site))["Sent (1)"] == ["alpha.org"]
    assert md_groups(markdown(site))["New (2)"] == ["beta.net", "gamma.io"]
    assert row(site, "alpha.org")["last_told"] == D2
    assert row(site, "alpha.org")["done"] is True
    assert report(site)["summary"]["to_do"] == 2
    assert "alpha.org" in data(site, "outreach.html").read_text(encoding="utf-8")

    on_day(3)
    site.build()
    assert ledger(site)["contacts"]["alpha.org"]["status"] == "sent"
    assert len(ledger(site)["contacts"]["alpha.org"]["history"]) == 2
    assert md_groups(markdown(site))["Sent (1)"] == ["alpha.org"]
    assert row(site, "alpha.org")["last_told"] == D2


@pytest.mark.parametrize(
    ("status", "heading"),
    [("replied", "Replied (1)"), ("linked-back", "Linked-back (1)"), ("skipped", "Skipped (1)")],
)
def test_mark_with_reason(
    make_site: MakeSite,
    on_day: SetDay,
    capsys: pytest.CaptureFixture[str],
    status: str,
    heading: str,
) -> None:
    site = new_site(make_site)
    site.build()
    on_day(2)
    reason = 'shop page, "not" a source'
    args = ("mark", "beta.net", "--status", status, "--reason", reason)
    code, out, _err = cli(capsys, *args, "-f", str(site.config_file))
    assert (code, out) == (0, f"beta.net: {status} ({reason})\n")
    beta = ledger(site)["contacts"]["beta.net"]
    assert (beta["status"], beta["reason"]) == (status, reason)
    assert beta["history"][-1] == {"date": D2, "status": status, "reason": reason}
    text = markdown(site)
    assert md_groups(text)[heading] == ["beta.net"]
    assert f"Reason: {reason}" in md_section(text, "beta.net")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data(site, "outreach.csv").read_text()))}
    assert (rows["beta.net"]["status"], rows["beta.net"]["reason"]) == (status, reason)
    on_day(3)
    site.build()
    assert ledger(site)["contacts"]["beta.net"]["status"] == status
    assert ledger(site)["contacts"]["beta.net"]["reason"] == reason


def test_a_mark_whose_lists_cannot_be_written_is_kept_and_the_next_build_writes_them(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lists were written after the ledger's new first line, which vouched for them: a
    full disk between the two left `outreach.html` showing the old status for good, as no
    later build saw a reason to write it again. Here `outreach.html` cannot be replaced (a
    folder stands in its way): the mark is saved, the error says so, and once the way is
    clear the next build writes the lists."""
    site = new_site(make_site)
    site.build()
    on_day(2)
    html = data(site, "outreach.html")
    html.unlink()
    html.mkdir()
    code, out, err = cli(
        capsys, "mark", "beta.net", "--status", "replied", "-f", str(site.config_file)
    )
    assert code == 1 and out == ""
    assert "the change is saved in" in err and "the next build writes them" in err
    assert "Traceback" not in err
    assert ledger(site)["contacts"]["beta.net"]["status"] == "replied"
    html.rmdir()
    on_day(3)
    site.build()
    assert 'data-status="replied" data-id="beta.net"' in html.read_text(encoding="utf-8")
    assert md_groups(markdown(site))["Replied (1)"] == ["beta.net"]


def test_mark_with_the_same_status_changes_nothing_and_says_so(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site)
    site.build()
    on_day(2)
    code, out, _err = cli(
        capsys, "mark", "alpha.org", "--status", "sent", "-f", str(site.config_file)
    )
    assert (code, out) == (0, "alpha.org: sent\n")
    before = snapshot(data(site))
    on_day(3)
    code, out, err = cli(
        capsys, "mark", "alpha.org", "--status", "sent", "-f", str(site.config_file)
    )
    assert (code, out, err) == (0, "alpha.org: already sent; nothing changed\n", "")
    assert snapshot(data(site)) == before  # no second history entry, no rewrite
    assert row(site, "alpha.org")["last_told"] == D2
    args = ("mark", "beta.net", "--status", "skipped", "--reason", "a shop")
    cli(capsys, *args, "-f", str(site.config_file))
    code, out, _err = cli(capsys, *args[:-2], "-f", str(site.config_file))
    assert out == "beta.net: already skipped (a shop); nothing changed\n"
    assert len(ledger(site)["contacts"]["beta.net"]["history"]) == 2


def test_mark_unknown_contact_lists_the_known_ones(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site)
    site.build()
    before = snapshot(data(site))
    code, out, err = cli(
        capsys, "mark", "nobody.example", "--status", "sent", "-f", str(site.config_file)
    )
    assert (code, out) == (1, "")
    assert err == (
        "mkdocs-backlinks: error: No contact 'nobody.example' in the ledger. "
        "Known contacts: alpha.org, beta.net, gamma.io\n"
    )
    assert snapshot(data(site)) == before


@pytest.mark.parametrize("ref", ["a[", "example.com[", "https://[/x"])
def test_mark_a_reference_that_is_no_address_is_not_found(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    """A `[` reads as the start of an IPv6 literal: the lookup raised "Invalid IPv6 URL"
    (and the review page's server dropped the connection with a traceback)."""
    site = new_site(make_site)
    site.build()
    before = snapshot(data(site))
    code, out, err = cli(capsys, "mark", ref, "--status", "sent", "-f", str(site.config_file))
    assert (code, out) == (1, "")
    assert err.startswith(f"mkdocs-backlinks: error: No contact '{ref}' in the ledger.")
    code, out, err = cli(capsys, "outreach", "--site", ref, "-f", str(site.config_file))
    assert code == 0 and "Traceback" not in err
    assert snapshot(data(site)) == before


def test_mark_before_any_build(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site)
    code, _out, err = cli(
        capsys, "mark", "alpha.org", "--status", "sent", "-f", str(site.config_file)
    )
    assert code == 1
    assert "none yet: run mkdocs build first" in err
    assert not data(site).exists()


@pytest.mark.parametrize("status", ["new", "done", "SENT"])
def test_mark_unknown_status_is_a_usage_error(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str], status: str
) -> None:
    site = new_site(make_site)
    site.build()
    before = snapshot(data(site))
    with pytest.raises(SystemExit) as info:
        main(["mark", "alpha.org", "--status", status, "-f", str(site.config_file)])
    assert info.value.code == 2
    assert f"invalid choice: '{status}'" in capsys.readouterr().err
    assert snapshot(data(site)) == before


# --------------------------------------------------------------------------- damaged ledgers


def _corrupt(doc: dict[str, Any], change: str) -> str:
    if change == "schema":
        doc["schema"] = "someone-else/ledger"
    elif change == "version":
        doc["version"] = 99
    elif change == "status":
        doc["contacts"]["beta.net"]["status"] = "emailed"
    elif change == "orphan":
        doc["works"]["https://beta.net/"]["contact"] = "zeta.org"
    elif change == "cited-type":
        doc["contacts"]["beta.net"]["cited"] = "yes"
    elif change == "citations-type":
        doc["works"]["https://beta.net/"]["citations"] = {"page": "index.md"}
    elif change == "contacts-type":
        doc["contacts"] = ["beta.net"]
    elif change == "missing-field":
        del doc["contacts"]["beta.net"]["site"]
    return json.dumps(doc, indent=1)


CORRUPTIONS = [
    ("json", "is not valid JSON (line"),
    ("schema", "'schema' is 'someone-else/ledger', expected 'mkdocs-backlinks/ledger'"),
    ("version", "written by a newer version of the plugin (schema version 99"),
    ("status", "contact 'beta.net' has unknown status 'emailed'"),
    ("orphan", "work 'https://beta.net/' belongs to unknown contact 'zeta.org'"),
    ("cited-type", "cited of 'beta.net' must be true or false, not str"),
    ("citations-type", "citations of 'https://beta.net/' must be a list, not dict"),
    ("contacts-type", "'contacts' must be an object, not list"),
    ("missing-field", "a required field 'site' is missing"),
    ("nested", "is damaged: its JSON is nested too deeply to read"),
]


def damaged_site(make_site: MakeSite, change: str) -> tuple[Site, bytes]:
    """A built site whose ledger was then damaged; site_dir removed to see if a build starts."""
    site = new_site(make_site)
    site.build()
    path = data(site, "ledger.json")
    if change == "json":
        text = path.read_text(encoding="utf-8")[:-20]
    elif change == "nested":
        deep = "[" * 100_000 + "]" * 100_000
        text = path.read_text(encoding="utf-8").replace('"cited":true', f'"cited":true,"x":{deep}')
    else:
        text = _corrupt(ledger(site), change)
    path.write_text(text, encoding="utf-8")
    shutil.rmtree(site.site_dir)
    return site, path.read_bytes()


@pytest.mark.parametrize(("change", "message"), CORRUPTIONS)
def test_damaged_ledger_stops_the_build(
    make_site: MakeSite,
    on_day: SetDay,
    caplog: pytest.LogCaptureFixture,
    change: str,
    message: str,
) -> None:
    site, damaged = damaged_site(make_site, change)
    lists = {name: data(site, name).read_bytes() for name in LIST_FILES}
    on_day(2)
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    path = data(site, "ledger.json")
    assert f"The ledger {path} " in logged
    assert message in logged
    assert "left untouched" in logged
    assert path.read_bytes() == damaged
    assert {name: data(site, name).read_bytes() for name in LIST_FILES} == lists
    assert not (site.site_dir / "index.html").exists()


@pytest.mark.parametrize(("change", "message"), CORRUPTIONS)
def test_damaged_ledger_stops_the_commands(
    make_site: MakeSite,
    on_day: SetDay,
    capsys: pytest.CaptureFixture[str],
    change: str,
    message: str,
) -> None:
    site, damaged = damaged_site(make_site, change)
    path = data(site, "ledger.json")
    cfg = str(site.config_file)
    for args in (
        ("outreach", "-f", cfg),
        ("outreach", "--format", "json", "-f", cfg),
        ("mark", "beta.net", "--status", "sent", "-f", cfg),
    ):
        code, out, err = cli(capsys, *args)
        assert code == 1, args
        assert out == ""
        assert err.startswith(f"mkdocs-backlinks: error: The ledger {path} ")
        assert message in err
        assert err.count("\n") == 1 and err.endswith("\n")
        assert path.read_bytes() == damaged


def test_ledger_that_is_not_utf8_stops_the_build_naming_the_file(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    site = new_site(make_site)
    path = data(site, "ledger.json")
    path.parent.mkdir()
    damaged = b'{"schema": "mkdocs-backlinks/ledger", "version": 1, "contacts": {"caf\xe9": {}}}'
    path.write_bytes(damaged)
    with pytest.raises(Abort):
        site.build()
    assert str(path) in errors(caplog)
    assert path.read_bytes() == damaged


def test_ledger_that_is_not_utf8_stops_the_commands_naming_the_file(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site)
    path = data(site, "ledger.json")
    path.parent.mkdir()
    path.write_bytes(b'{"schema": "mkdocs-backlinks/ledger", "contacts": {"caf\xe9": {}}}')
    code, _out, err = cli(capsys, "outreach", "-f", str(site.config_file))
    assert code == 1
    assert str(path) in err


# --------------------------------------------------------------------------- the outreach command


@pytest.fixture
def built(make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]) -> Site:
    """The standard site built on day 1, with beta.net marked sent."""
    site = new_site(make_site)
    site.build()
    assert cli(capsys, "mark", "beta.net", "--status", "sent", "-f", str(site.config_file))[0] == 0
    return site


def test_outreach_table(built: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "outreach", "-f", str(built.config_file))
    assert (code, err) == (0, "")
    assert [line.split() for line in out.splitlines()] == [
        ["ID", "STATUS", "CITED", "PAGES", "EMAIL", "SUGGESTION"],
        ["alpha.org", "new", "yes", "1", "-", "-"],
        ["gamma.io", "new", "yes", "1", "-", "-"],
        ["beta.net", "sent", "yes", "1", "-", "-"],
    ]


def test_outreach_default_config_is_mkdocs_yml_in_the_working_folder(
    built: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(built.root)
    code, out, _err = cli(capsys, "outreach", "--format", "csv")
    assert code == 0
    assert out == data(built, "outreach.csv").read_text(encoding="utf-8")


def test_outreach_formats_match_the_written_lists(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(built.config_file)
    code, out, _ = cli(capsys, "outreach", "--format", "markdown", "-f", cfg)
    assert (code, out) == (0, markdown(built))
    code, out, _ = cli(capsys, "outreach", "--format", "csv", "-f", cfg)
    assert (code, out) == (0, data(built, "outreach.csv").read_text(encoding="utf-8"))
    code, out, _ = cli(capsys, "outreach", "--format", "json", "-f", cfg)
    assert code == 0
    printed = json.loads(out)
    written = report(built)
    written.pop("fingerprint", None)
    assert printed == written
    assert [r["id"] for r in printed["contacts"]] == ["alpha.org", "gamma.io", "beta.net"]


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (["--status", "new"], ["alpha.org", "gamma.io"]),
        (["--status", "sent"], ["beta.net"]),
        (["--status", "new", "--status", "sent"], ["alpha.org", "gamma.io", "beta.net"]),
        (["--status", "skipped"], []),
        (["--site", "gamma.io"], ["gamma.io"]),
        (["--site", "Gamma.IO"], ["gamma.io"]),
        (["--site", "gamma.io", "--status", "sent"], []),
        (["--site", "beta.net", "--status", "sent"], ["beta.net"]),
    ],
)
def test_outreach_filters(
    built: Site, capsys: pytest.CaptureFixture[str], filters: list[str], ids: list[str]
) -> None:
    for fmt in ("csv", "json", "markdown"):
        code, out, _ = cli(
            capsys, "outreach", *filters, "--format", fmt, "-f", str(built.config_file)
        )
        assert code == 0
        if fmt == "csv":
            assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == ids
        elif fmt == "json":
            assert [r["id"] for r in json.loads(out)["contacts"]] == ids
        else:
            assert [line[4:] for line in out.splitlines() if line.startswith("### ")] == ids


def test_outreach_site_filter_accepts_www(built: Site, capsys: pytest.CaptureFixture[str]) -> None:
    # `mark` accepts the site with `www.`; the filter of the listing should agree.
    code, out, _ = cli(
        capsys,
        "outreach",
        "--site",
        "www.gamma.io",
        "--format",
        "json",
        "-f",
        str(built.config_file),
    )
    assert code == 0
    assert [r["id"] for r in json.loads(out)["contacts"]] == ["gamma.io"]


def test_outreach_table_without_matches(built: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "outreach", "--status", "replied", "-f", str(built.config_file))
    assert (code, out) == (0, "No contacts match: widen the filters (--status, --site).\n")


def test_outreach_unknown_status_is_a_usage_error(
    built: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["outreach", "--status", "bogus", "-f", str(built.config_file)])
    assert info.value.code == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys)
    assert (code, out) == (2, "")
    assert "usage: mkdocs-backlinks" in err
    assert "outreach" in err and "mark" in err


def test_other_config_file_name(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site)
    other = write_config(site, "other.yml", {})
    site.config_file.unlink()
    build(load_config(str(other)))
    command = "mkdocs-backlinks mark alpha.org --status sent -f other.yml"
    assert row(site, "alpha.org")["mark_command"] == command
    assert report(site)["config_file"] == "other.yml"
    assert f"Done? `{command}`" in markdown(site)
    assert command in data(site, "outreach.csv").read_text(encoding="utf-8")

    code, out, _ = cli(capsys, "outreach", "-f", str(other))
    assert code == 0
    assert out.splitlines()[1].split()[:2] == ["alpha.org", "new"]
    code, out, _ = cli(capsys, "mark", "alpha.org", "--status", "sent", "-f", str(other))
    assert (code, out) == (0, "alpha.org: sent\n")
    assert statuses(site)["alpha.org"] == "sent"
    # The lists rewritten by `mark` still carry the right file name.
    assert "mkdocs-backlinks mark beta.net --status sent -f other.yml" in markdown(site)


def test_config_without_the_plugin(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(PAGES, plugins=["search"])
    for args in (("outreach",), ("mark", "alpha.org", "--status", "sent")):
        code, out, err = cli(capsys, *args, "-f", str(site.config_file))
        assert (code, out) == (1, "")
        assert err == (
            f"mkdocs-backlinks: error: {site.config_file} does not enable the backlinks plugin: "
            "add '- backlinks' under 'plugins:'.\n"
        )


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yml"
    for args in (("outreach",), ("mark", "alpha.org", "--status", "sent")):
        code, out, err = cli(capsys, *args, "-f", str(missing))
        assert (code, out) == (1, "")
        assert err == (
            f"mkdocs-backlinks: error: -f {missing}: no such file. Give the path of your "
            "site's mkdocs.yml.\n"
        )


def test_invalid_config_is_an_error_not_a_traceback(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"sign_of": "Bye"}})
    code, out, err = cli(capsys, "outreach", "-f", str(site.config_file))
    assert (code, out) == (1, "")
    assert f"mkdocs-backlinks: error: {site.config_file}: " in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_console_script(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site)
    site.build()
    before = data(site, "ledger.json").read_bytes()

    bad = run_script("mark", "nobody.example", "--status", "sent", cwd=site.root)
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr == (
        "mkdocs-backlinks: error: No contact 'nobody.example' in the ledger. "
        "Known contacts: alpha.org, beta.net, gamma.io\n"
    )
    assert data(site, "ledger.json").read_bytes() == before

    usage = run_script("outreach", "--status", "bogus", cwd=site.root)
    assert usage.returncode == 2
    assert "invalid choice: 'bogus'" in usage.stderr

    missing = run_script("outreach", "-f", "elsewhere.yml", cwd=site.root)
    assert missing.returncode == 1
    assert missing.stderr == (
        "mkdocs-backlinks: error: -f elsewhere.yml: no such file. Give the path of your site's "
        "mkdocs.yml.\n"
    )

    ok = run_script("mark", "www.beta.net", "--status", "sent", cwd=site.root)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "beta.net: sent\n", "")
    assert statuses(site)["beta.net"] == "sent"
    assert ledger(site)["contacts"]["beta.net"]["history"][-1]["date"] == D1

    listing = run_script("outreach", "--format", "csv", "--status", "sent", cwd=site.root)
    assert listing.returncode == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(listing.stdout))] == ["beta.net"]

    version = run_script("--version", cwd=site.root)
    assert version.returncode == 0
    assert version.stdout.startswith("mkdocs-backlinks ")


# --------------------------------------------------------------------------- notes


def test_note_names_work_page_url_and_sentence(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site)
    site.build()
    note = row(site, "gamma.io")["note"]
    assert note["subject"] == 'I mentioned your work in "Field notes"'
    assert note["body"] == (
        "Hi there,\n"
        "\n"
        'I\'m Pat, and I write Test site. I recently linked to "paper" (https://gamma.io/paper).\n'
        "\n"
        'In "Field notes" (https://example.com/docs/notes/) I wrote:\n'
        "\n"
        "> The paper explains it well.\n"
        "\n"
        "Thanks for writing it. It helped me, and I wanted you to know it's being read and "
        "passed on. No need to reply, unless you spot something I got wrong.\n"
        "\n"
        "Thanks,\n"
        "Pat\n"
        "https://example.com/docs/\n"
    )
    section = md_section(markdown(site), "gamma.io")
    assert '```text\nSubject: I mentioned your work in "Field notes"\n\nHi there,\n' in section
    assert "> The paper explains it well.\n" in section
    assert "Done? `mkdocs-backlinks mark gamma.io --status sent`" in section
    beta = row(site, "beta.net")["note"]["body"]
    assert "I recently linked to your site (https://beta.net/)." in beta
    assert "> Also see Beta's blog." in beta


def test_formal_note_with_author_and_sign_off(make_site: MakeSite, on_day: SetDay) -> None:
    options = {"outreach": {"author": "Sam", "sign_off": "Cheers,", "tone": "formal"}}
    site = new_site(make_site, plugin_options=options)
    site.build()
    body = row(site, "gamma.io")["note"]["body"]
    assert body.startswith("Dear editor of gamma.io,\n\nI'm Sam, and I write Test site.")
    assert "Thank you for publishing it;" in body
    assert "No reply is needed." in body
    assert body.endswith("\n\nCheers,\nSam\nhttps://example.com/docs/\n")
    assert "Hi there" not in body
    assert "Pat" not in body
    assert "Dear editor of gamma.io," in markdown(site)


def test_brief_note(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"tone": "brief"}})
    site.build()
    body = row(site, "gamma.io")["note"]["body"]
    assert body.startswith("Hi there,\n")
    assert "> The paper explains it well.\n\nThanks for writing it.\n\nThanks,\nPat\n" in body
    assert "It helped me" not in body


def test_author_url_option(make_site: MakeSite, on_day: SetDay) -> None:
    options = {"outreach": {"author_url": "https://pat.example/"}}
    site = new_site(make_site, plugin_options=options)
    site.build()
    assert row(site, "gamma.io")["note"]["body"].endswith("Thanks,\nPat\nhttps://pat.example/\n")


def test_own_note_template(make_site: MakeSite, on_day: SetDay) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "notes/note.txt"}})
    (site.root / "notes").mkdir()
    (site.root / "notes" / "note.txt").write_text(
        "Subject: About {{ works[0].url }}\n"
        "\n"
        "Hello {{ contact.site }}, see {{ pages[0].url }}: {{ pages[0].context }}\n"
        "-- {{ me.name }} ({{ tone }})\n",
        encoding="utf-8",
    )
    site.build()
    assert row(site, "gamma.io")["note"] == {
        "subject": "About https://gamma.io/paper",
        "body": (
            "Hello gamma.io, see https://example.com/docs/notes/: The paper explains it well.\n"
            "-- Pat (friendly)\n"
        ),
    }
    section = md_section(markdown(site), "gamma.io")
    assert "```text\nSubject: About https://gamma.io/paper\n\nHello gamma.io, see" in section
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data(site, "outreach.csv").read_text()))}
    assert rows["gamma.io"]["subject"] == "About https://gamma.io/paper"


def test_own_note_template_found_from_another_working_folder(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    # The tests run from the repository, not the site: the path is relative to mkdocs.yml.
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    (site.root / "note.txt").write_text("Subject: S\n\nFor {{ contact.site }}.\n", "utf-8")
    assert Path.cwd() != site.root
    site.build()
    code, out, _ = cli(capsys, "outreach", "--format", "json", "-f", str(site.config_file))
    assert code == 0
    notes = {r["id"]: r["note"] for r in json.loads(out)["contacts"]}
    assert notes["beta.net"] == {"subject": "S", "body": "For beta.net.\n"}


def test_missing_note_template_fails_validation(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "notes/none.txt"}})
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "note_template" in logged
    assert "notes/none.txt" in logged
    assert "isn't an existing file" in logged
    assert not data(site).exists()


def test_note_template_syntax_error_fails_clearly(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    (site.root / "note.txt").write_text("Subject: x\n\n{% if %}oops{% endif %}\n", "utf-8")
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "Plugin 'backlinks' option 'outreach.note_template': Cannot load the note template" in (
        logged
    )
    assert str(site.root / "note.txt") in logged
    assert not data(site).exists()


def test_a_note_template_that_is_not_utf8_is_named(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    (site.root / "note.txt").write_bytes(b"Subject: \xff\xfe bad\n")
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "option 'outreach.note_template': Cannot load the note template" in logged
    assert str(site.root / "note.txt") in logged and "not UTF-8" in logged
    assert not data(site).exists()


def test_note_template_with_an_unknown_variable_fails_clearly(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    # A typo in a variable name is the commonest template mistake; it should stop the build
    # with a message naming the option, like a syntax error does, not with a traceback.
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    (site.root / "note.txt").write_text("Subject: x\n\nHi {{ contact.nmae }}\n", "utf-8")
    with pytest.raises(Abort):
        site.build()
    assert "note_template" in errors(caplog)


def test_a_note_template_failing_with_a_python_error_stops_the_build_and_writes_nothing(
    make_site: MakeSite,
    on_day: SetDay,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Fine for the sample contact it is tried on when loaded, a TypeError for one real one:
    # it escaped as a traceback (not a TemplateError), from the build and from `mark`.
    site = new_site(make_site, plugin_options={"outreach": {"note_template": "note.txt"}})
    note = site.root / "note.txt"
    note.write_text("Subject: Hello\n\nThanks, {{ contact.site }}.\n", "utf-8")
    site.build()
    before = snapshot(data(site))
    note.write_text(
        'Subject: Hello\n\n{% if contact.site == "beta.net" %}{{ "%d" % contact.site }}'
        "{% endif %}Thanks.\n",
        "utf-8",
    )
    site.write("notes.md", NOTES + "\nAnd [delta](https://delta.org/x).\n")
    on_day(2)
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "Plugin 'backlinks' option 'outreach.note_template': Cannot render" in logged
    assert f"{note}: TypeError: %d format" in logged
    assert snapshot(data(site)) == before  # neither the ledger nor a list
    cfg = str(site.config_file)
    code, out, err = cli(capsys, "mark", "alpha.org", "--status", "sent", "-f", cfg)
    assert (code, out) == (1, "")
    assert err.startswith(f"mkdocs-backlinks: error: Cannot render the note template {note}")
    assert snapshot(data(site)) == before


DAMAGE_HOOK = """\
from pathlib import Path


def on_env(env, config, files):
    # Between the check of the ledger (on_pre_build) and its update (on_post_build).
    root = Path(config.config_file_path).parent
    if (root / "damage-now").exists():
        path = root / "backlinks" / "ledger.json"
        path.write_bytes(path.read_bytes()[:-20])
    return env
"""


@pytest.mark.parametrize("edit", [True, False], ids=["page edited", "same pages, next day"])
def test_a_ledger_damaged_during_the_build_stops_it_untouched(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture, edit: bool
) -> None:
    # A checkout or an editor can change the file while a build runs. With a page edited,
    # the update read the file again and raised LedgerError, which is no PluginError: a
    # traceback. With nothing edited, the next day's build gave the damaged file a new first
    # line and went on, as if it were the ledger it had checked.
    site = new_site(make_site, hooks=["damage.py"])
    (site.root / "damage.py").write_text(DAMAGE_HOOK, encoding="utf-8")
    site.build()
    path = data(site, "ledger.json")
    damaged = path.read_bytes()[:-20]
    lists = {name: data(site, name).read_bytes() for name in LIST_FILES}
    (site.root / "damage-now").touch()
    if edit:
        site.write("notes.md", NOTES + "\nAnd [delta](https://delta.org/x).\n")
    on_day(2)
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert f"The ledger {path} is not valid JSON" in logged
    assert "left untouched" in logged
    assert path.read_bytes() == damaged
    assert {name: data(site, name).read_bytes() for name in LIST_FILES} == lists


def test_a_ledger_edited_during_the_build_is_merged_not_overwritten(
    make_site: MakeSite, on_day: SetDay
) -> None:
    # A valid edit of a record while the build runs (an editor saving, `git checkout`) is
    # read and kept, never replaced by the records the build checked before it.
    site = new_site(make_site, hooks=["edit.py"])
    (site.root / "edit.py").write_text(
        DAMAGE_HOOK.replace(
            "path.read_bytes()[:-20]",
            'path.read_bytes().replace(b\'"name":""\', b\'"name":"Bea"\', 1)',
        ),
        encoding="utf-8",
    )
    site.build()
    (site.root / "damage-now").touch()
    on_day(2)
    site.build()
    named = [cid for cid, c in ledger(site)["contacts"].items() if c["name"] == "Bea"]
    assert len(named) == 1
    assert ledger(site)["last_build"] == D1  # the build itself changed nothing
    assert [r["id"] for r in report(site)["contacts"] if r["name"] == "Bea"] == named


def test_a_data_folder_that_cannot_be_written_stops_the_build_with_a_message(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    # A full disk or an odd data folder (here a folder where a list should be) raised the
    # OSError itself from on_post_build: a traceback, not an error naming the folder.
    site = new_site(make_site)
    site.build()
    listing = data(site, "outreach.md")
    listing.unlink()
    (listing / "in-the-way").mkdir(parents=True)
    site.write("notes.md", NOTES + "\nAnd [delta](https://delta.org/x).\n")
    on_day(2)
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert f"Plugin 'backlinks': cannot write {data(site)}: " in logged
    assert not [p.name for p in data(site).iterdir() if p.name.endswith(".tmp")]


KEEP_CONTEXT_HOOK = """\
import json
from pathlib import Path

from mkdocs.plugins import event_priority

kept = {}


@event_priority(-100)
def on_page_context(context, page, config, nav):
    kept[page.file.src_uri] = context["backlinks"]
    return context


@event_priority(-100)  # after the plugin's on_post_build, which let the graph go
def on_post_build(config):
    seen = {
        src: {
            "credits": [g.site for g in sections.credits],
            "backlinks": [b.title for b in sections.backlinks],
        }
        for src, sections in sorted(kept.items())
    }
    root = Path(config.config_file_path).parent
    (root / "seen.json").write_text(json.dumps(seen), encoding="utf-8")
"""


def test_sections_kept_by_another_plugin_read_the_same_after_the_graph_is_let_go(
    make_site: MakeSite, on_day: SetDay
) -> None:
    # A build that records a change lets its link graph go in on_post_build; a theme or a
    # plugin that kept a page's `backlinks` context and reads its data later (the data is
    # made on first use) must still get that page's credits and backlinks.
    pages = {**PAGES, "more.md": "# More\n\nSee [home](index.md).\n"}
    site = new_site(make_site, pages, hooks=["keep.py"])
    (site.root / "keep.py").write_text(KEEP_CONTEXT_HOOK, encoding="utf-8")
    site.build()
    seen = json.loads((site.root / "seen.json").read_text(encoding="utf-8"))
    assert seen["index.md"] == {"credits": ["alpha.org", "beta.net"], "backlinks": ["More"]}
    assert seen["notes.md"] == {"credits": ["gamma.io"], "backlinks": []}
    assert ledger(site)["works"]  # the build did record its citations


# --------------------------------------------------------------------------- options


def test_data_dir_option(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site, plugin_options={"data_dir": "private/outreach"})
    site.build()
    folder = "private/outreach"
    assert sorted(p.name for p in data(site, folder=folder).iterdir()) == sorted(
        ["ledger.json", *LIST_FILES]
    )
    assert not data(site).exists()
    assert list(ledger(site, folder)["contacts"]) == ["alpha.org", "beta.net", "gamma.io"]
    code, _, _ = cli(capsys, "mark", "gamma.io", "--status", "sent", "-f", str(site.config_file))
    assert code == 0
    assert ledger(site, folder)["contacts"]["gamma.io"]["status"] == "sent"
    assert md_groups(markdown(site, folder))["Sent (1)"] == ["gamma.io"]
    assert not data(site).exists()


@pytest.mark.parametrize("data_dir", ["docs/private", "docs", "./docs/x/../y"])
def test_data_dir_inside_docs_dir_fails(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture, data_dir: str
) -> None:
    site = new_site(make_site, plugin_options={"data_dir": data_dir})
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "Plugin 'backlinks' option 'data_dir'" in logged
    assert "is inside docs_dir" in logged
    assert not list(site.root.rglob("ledger.json"))
    assert not list(site.root.rglob("outreach.*"))


def test_outreach_disabled_writes_no_data_folder(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    site = new_site(make_site, plugin_options={"outreach": {"enabled": False}})
    site.build()
    assert (site.site_dir / "index.html").is_file()
    assert not data(site).exists()
    assert info_lines(caplog) == ["mkdocs_backlinks: 2 pages, 0 internal links, 3 citations"]


def test_nothing_reading_outside_links_keeps_none(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    # Internal backlinks only: the log does not count citations nobody collected.
    caplog.set_level(logging.INFO)
    off = {"enabled": False}
    options = {"credits": False, "export": False, "metadata": off, "outreach": off}
    site = new_site(make_site, plugin_options=options)
    site.build()
    assert (site.site_dir / "index.html").is_file()
    assert info_lines(caplog) == ["mkdocs_backlinks: 2 pages, 0 internal links"]


def test_exclude_sites_keeps_them_out_of_the_lists(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = {
        **PAGES,
        "shop.md": "# Shop\n\nBuy [this](https://example.org/buy) and [that](https://docs.example.org/x).\n",
    }
    site = new_site(make_site, pages, {"outreach": {"exclude_sites": ["example.org"]}})
    site.build()
    assert list(ledger(site)["contacts"]) == [
        "alpha.org",
        "beta.net",
        "docs.example.org",
        "example.org",
        "gamma.io",
    ]
    doc = report(site)
    assert [r["id"] for r in doc["contacts"]] == ["alpha.org", "beta.net", "gamma.io"]
    assert [r["site"] for r in doc["relationships"]] == ["alpha.org", "beta.net", "gamma.io"]
    assert doc["summary"]["contacts"] == 3
    assert doc["summary"]["to_do"] == 3
    assert "example.org" not in markdown(site)
    assert "example.org" not in data(site, "outreach.csv").read_text(encoding="utf-8")
    assert "gamma.io" in data(site, "outreach.html").read_text(encoding="utf-8")
    code, out, _ = cli(capsys, "outreach", "-f", str(site.config_file))
    assert code == 0
    assert "example.org" not in out
    # Still markable: they are in the ledger.
    assert (
        cli(capsys, "mark", "example.org", "--status", "skipped", "-f", str(site.config_file))[0]
        == 0
    )
    assert statuses(site)["example.org"] == "skipped"


@pytest.mark.parametrize(
    ("done_statuses", "to_do", "done"),
    [
        (None, 1, {"alpha.org": False, "beta.net": True, "gamma.io": True}),
        (["sent"], 2, {"alpha.org": False, "beta.net": True, "gamma.io": False}),
        (["sent", "skipped"], 1, {"alpha.org": False, "beta.net": True, "gamma.io": True}),
        (["replied"], 3, {"alpha.org": False, "beta.net": False, "gamma.io": False}),
    ],
)
def test_done_statuses_decide_what_is_left_to_do(
    make_site: MakeSite,
    on_day: SetDay,
    capsys: pytest.CaptureFixture[str],
    done_statuses: list[str] | None,
    to_do: int,
    done: dict[str, bool],
) -> None:
    options = {"outreach": {"done_statuses": done_statuses}} if done_statuses else None
    site = new_site(make_site, plugin_options=options)
    site.build()
    cfg = str(site.config_file)
    assert cli(capsys, "mark", "beta.net", "--status", "sent", "-f", cfg)[0] == 0
    assert cli(capsys, "mark", "gamma.io", "--status", "skipped", "-f", cfg)[0] == 0
    assert report(site)["summary"]["to_do"] == to_do
    assert {r["id"]: r["done"] for r in report(site)["contacts"]} == done
    site.build()  # the build agrees with the lists `mark` wrote
    assert report(site)["summary"]["to_do"] == to_do
    assert f"{to_do} notes to send" in markdown(site)


def test_unknown_outreach_option_fails_with_suggestion(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    site = new_site(make_site, plugin_options={"outreach": {"sign_of": "Bye"}})
    with pytest.raises(Abort):
        site.build()
    logged = errors(caplog)
    assert "Plugin 'backlinks' option 'outreach': Unknown option 'sign_of'." in logged
    assert "Did you mean 'sign_off'?" in logged
    assert not data(site).exists()


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"tone": "casual"}, "tone"),
        ({"done_statuses": ["new"]}, "done_statuses"),
        ({"exclude_sites": ["https://example.org/"]}, "exclude_sites"),
        ({"enabled": "yes"}, "enabled"),
    ],
)
def test_bad_outreach_values_fail_naming_the_option(
    make_site: MakeSite,
    on_day: SetDay,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    name: str,
) -> None:
    site = new_site(make_site, plugin_options={"outreach": options})
    with pytest.raises(Abort):
        site.build()
    assert f"Sub-option '{name}'" in errors(caplog)


# --------------------------------------------------------------------------- relationships


MANY = {
    "index.md": "# Home\n\nSee [Beta](https://beta.net/post).\n",
    "a.md": "# Page A\n\nThe [guide](https://alpha.org/guide) covers A.\n",
    "b.md": "# Page B\n\nThe [guide](https://alpha.org/guide) covers B.\n",
    "c.md": "# Page C\n\nThe [intro](https://www.alpha.org/intro) covers C.\n",
}


def test_relationships(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site, MANY)
    site.build()
    never = "cited in 3 pages, never contacted"
    assert report(site)["relationships"] == [
        {
            "site": "alpha.org",
            "citations": 3,
            "pages": 3,
            "last_told": None,
            "mentions": 0,
            "status": "new",
            "suggestions": [never],
        },
        {
            "site": "beta.net",
            "citations": 1,
            "pages": 1,
            "last_told": None,
            "mentions": 0,
            "status": "new",
            "suggestions": [],
        },
    ]
    text = markdown(site)
    assert f"*Suggestion: {never}.*" in md_section(text, "alpha.org")
    assert "| alpha.org | 3 | 3 | never | 0 |" in text
    assert "| beta.net | 1 | 1 | never | 0 |" in text
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data(site, "outreach.csv").read_text()))}
    assert rows["alpha.org"]["suggestions"] == never
    code, out, _ = cli(capsys, "outreach", "-f", str(site.config_file))
    assert code == 0
    assert out.splitlines()[1].split(maxsplit=5) == ["alpha.org", "new", "yes", "3", "-", never]

    on_day(2)
    assert cli(capsys, "mark", "alpha.org", "--status", "sent", "-f", str(site.config_file))[0] == 0
    rel = report(site)["relationships"][0]
    assert (rel["site"], rel["last_told"], rel["status"], rel["suggestions"]) == (
        "alpha.org",
        D2,
        "sent",
        [],
    )
    assert "| alpha.org | 3 | 3 | 2023-11-15 | 0 |" in markdown(site)

    on_day(3)
    site.build()
    rel = report(site)["relationships"][0]
    assert (rel["last_told"], rel["suggestions"]) == (D2, [])
    assert "| alpha.org | 3 | 3 | 2023-11-15 | 0 |" in markdown(site)


def test_pending_again_after_sent_is_not_never_contacted(
    make_site: MakeSite, on_day: SetDay, capsys: pytest.CaptureFixture[str]
) -> None:
    site = new_site(make_site, MANY)
    site.build()
    cfg = str(site.config_file)
    assert cli(capsys, "mark", "alpha.org", "--status", "sent", "-f", cfg)[0] == 0
    on_day(2)
    # A follow-up is due: the author puts the contact back to pending.
    assert cli(capsys, "mark", "alpha.org", "--status", "pending", "-f", cfg)[0] == 0
    rel = report(site)["relationships"][0]
    assert rel["last_told"] == D1
    assert not any("never contacted" in s for s in rel["suggestions"]), rel


def test_edit_below_an_intact_first_line_is_still_validated(
    make_site: MakeSite, on_day: SetDay, caplog: pytest.LogCaptureFixture
) -> None:
    """An unchanged ledger is not parsed again before the build (its first line vouches for
    its records); a hand edit of the records alone must still be caught."""
    site = new_site(make_site)
    site.build()
    path = data(site, "ledger.json")
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    assert '"status":"new"' in body
    damaged = head + "\n" + body.replace('"status":"new"', '"status":"emailed"', 1)
    path.write_text(damaged, encoding="utf-8")
    on_day(2)
    with pytest.raises(Abort):
        site.build()
    assert "unknown status 'emailed'" in errors(caplog)
    assert path.read_text(encoding="utf-8") == damaged


def test_unchanged_ledger_is_not_parsed_before_the_build(
    make_site: MakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mkdocs_backlinks.outreach.desk as outreach_module

    site = new_site(make_site)
    site.build()
    before = data(site, "ledger.json").read_bytes()
    parsed: list[Path] = []
    real = outreach_module.parse_ledger

    def counting(text: str, path: Path) -> Any:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(outreach_module, "parse_ledger", counting)
    site.build()
    assert parsed == []
    assert data(site, "ledger.json").read_bytes() == before
