"""Notes people would send (#15), from real `mkdocs build` runs: the one-line setup warns about
what makes notes unsendable, one work shows once in credits and notes, contacts on shared hosts
are people, the options that choose them, and a build that changes nothing writes nothing.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from mkdocs.exceptions import Abort

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.ledger.people import PEOPLE_HOSTS, REFERENCE_SITES
from tests.builds.test_build import credits_of
from tests.conftest import SAMPLE, copy_sample, run_offline

if TYPE_CHECKING:
    from tests.conftest import MakeSite, Site

LOGGER = "mkdocs.plugins.mkdocs_backlinks"
# The page `mkdocs new` writes, citing mkdocs.org.
NEW_INDEX = """\
# Welcome to MkDocs

For full documentation visit [mkdocs.org](https://www.mkdocs.org).
"""


def outreach(site: Site) -> dict[str, Any]:
    path = site.root / "backlinks" / "outreach.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_the_one_line_setup_warns_once_naming_the_options(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    """Without site_url and site_author, notes read `In "Welcome" () I wrote:`, had no name,
    and the build said nothing."""
    site = make_site({"index.md": NEW_INDEX}, plugins=["backlinks"], site_name="My Docs")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        site.build()
    found = [w for w in warnings_of(caplog) if "Outreach notes" in w]
    assert len(found) == 2
    assert "'site_url'" in found[0]
    assert "'site_author'" in found[1] and "'outreach.author'" in found[1]
    report = outreach(site)
    assert len(report["setup_warnings"]) == 2
    assert all(w.endswith(r) for w, r in zip(found, report["setup_warnings"], strict=True))
    body = report["contacts"][0]["note"]["body"]
    assert "()" not in body and "I'm" not in body and "Thanks," not in body
    assert not any(line.strip() == ">" for line in body.splitlines())
    assert 'In "Welcome to MkDocs" I wrote:\n\n> For full documentation visit mkdocs.org.' in body
    with pytest.raises(Abort):  # the author's to fix: --strict says so
        site.build(strict=True)


def test_a_configured_site_has_no_setup_warning(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(
        {"index.md": NEW_INDEX}, site_url="https://me.example/", site_author="Robin Ashe"
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        site.build(strict=True)
    assert outreach(site)["setup_warnings"] == []
    body = outreach(site)["contacts"][0]["note"]["body"]
    assert "Thanks,\nRobin Ashe\nhttps://me.example/\n" in body


def test_a_blank_author_or_site_name_is_unset_and_a_title_less_page_is_named(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    """`site_author: "   "` signed notes "I'm    , and I write    ." without a warning, a
    name with a line break split the sentence, and a page titled "" was cited as `in ""`."""
    site = make_site(
        {
            "getting-started.md": '---\ntitle: ""\n---\n\nSee [mkdocs.org](https://www.mkdocs.org).\n'
        },
        site_url="https://me.example/",
        site_author="   ",
        site_name="   ",
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        site.build()
    assert any("'site_author'" in w for w in warnings_of(caplog))
    note = outreach(site)["contacts"][0]["note"]
    assert note["subject"] == 'I mentioned your work in "getting started"'
    assert "I'm" not in note["body"] and '""' not in note["body"]
    assert 'In "getting started" (https://me.example/getting-started/) I wrote:' in note["body"]

    site = make_site(
        {"index.md": NEW_INDEX},
        site_url="https://me.example/",
        site_author='Robin "Bob"\n O\'Hare',
        site_name="  My\n  Docs ",
    )
    site.build()
    body = outreach(site)["contacts"][0]["note"]["body"]
    assert "I'm Robin \"Bob\" O'Hare, and I write My Docs." in body
    assert 'Thanks,\nRobin "Bob" O\'Hare\n' in body


SAME_PAGE_TWICE = """\
# Notes

The [wiki page](http://indieweb.org/Webmention) explains it, and the
[same page over https](https://indieweb.org/Webmention/) has the list of tools.
The [POSSE page](https://www.indieweb.org/POSSE) too.
"""


def test_one_work_is_one_credit_and_one_line_of_the_note(make_site: MakeSite) -> None:
    """indieweb.org's note listed "Webmention" twice (http:// and https://)."""
    site = make_site(
        {"index.md": SAME_PAGE_TWICE}, site_url="https://me.example/", site_author="Robin"
    )
    site.build()
    credits = credits_of(site.html("index.html"))
    hrefs = [href for links in credits.sites.values() for href, _ in links]
    assert hrefs == ["http://indieweb.org/Webmention", "https://www.indieweb.org/POSSE"]
    assert "(cited 2 times)" in credits.counts.get("wiki page", "")
    [row] = outreach(site)["contacts"]
    assert len(row["works"]) == 2
    assert row["note"]["body"].count("- ") == 2
    # The export keeps every link as written.
    cited = [c["target"] for c in site.graph()["pages"]["index.md"]["citations"]]
    assert len(cited) == 3


PLATFORMS = """\
# Thanks

[hello](https://github.com/octocat/hello-world), [spoon](https://github.com/octocat/spoon),
[Linux](https://github.com/torvalds/linux), [a toot](https://mastodon.social/@gargron/1),
[an article](https://en.wikipedia.org/wiki/Backlink), [my own](https://social.example/@me).
"""


def test_contacts_are_people_and_reference_sites_are_left_out(make_site: MakeSite) -> None:
    """github.com, en.wikipedia.org and stackoverflow.com each got one note."""
    site = make_site(
        {"index.md": PLATFORMS},
        {"outreach": {"people_hosts": ["defaults", "social.example"]}},
        site_url="https://me.example/",
        site_author="Robin",
    )
    site.build()
    report = outreach(site)
    assert sorted(row["id"] for row in report["contacts"]) == [
        "github.com/octocat",
        "github.com/torvalds",
        "mastodon.social/@gargron",
        "social.example/@me",
    ]
    octocat = next(r for r in report["contacts"] if r["id"] == "github.com/octocat")
    assert octocat["note"]["body"].startswith("Hi octocat,\n")
    assert "en.wikipedia.org" in {r["site"] for r in report["relationships"]}
    ledger = json.loads((site.root / "backlinks" / "ledger.json").read_text(encoding="utf-8"))
    assert "en.wikipedia.org" in ledger["contacts"]  # credited and kept, not written to


def options(outreach: dict[str, Any]) -> tuple[BacklinksConfig, dict[str, str]]:
    config = BacklinksConfig()
    config.load_dict({"outreach": outreach})
    failed, _ = config.validate()
    return config, {key: str(error) for key, error in failed}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("github.com", "Expected a list of domain names"),
        (["https://github.com/"], "is not a domain name"),
        ([1], "Expected a list of domain names"),
    ],
)
def test_bad_host_lists_fail_naming_the_option(value: Any, message: str) -> None:
    for name in ("people_hosts", "reference_sites"):
        _, failed = options({name: value})
        assert name in failed["outreach"] and message in failed["outreach"]


def test_host_lists_replace_or_add_to_the_defaults() -> None:
    config, failed = options(
        {"people_hosts": ["social.example"], "reference_sites": ["defaults", "X.org"]}
    )
    assert failed == {}
    assert config.outreach.people_hosts == ("social.example",)
    assert "x.org" in config.outreach.reference_sites
    assert set(REFERENCE_SITES) < set(config.outreach.reference_sites)
    defaults, _ = options({})
    assert set(defaults.outreach.people_hosts) == set(PEOPLE_HOSTS)


def test_a_thanks_template_that_fails_names_its_option(
    make_site: MakeSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site({"index.md": "# Home\n"}, {"outreach": {"thanks_template": "thanks.txt"}})
    (site.root / "thanks.txt").write_text("{{ handle.nope() }}\n", encoding="utf-8")
    with pytest.raises(Abort):
        site.build()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert "'outreach.thanks_template'" in logged
    assert "Cannot render the thank-you template" in logged and "thanks.txt" in logged


@pytest.mark.slow
def test_building_the_sample_site_leaves_its_data_as_committed(tmp_path: Path) -> None:
    """Building the sample site dirtied the checkout: the committed ledger's date changed."""
    root = copy_sample(tmp_path)

    def data(folder: Path) -> dict[str, bytes]:  # what is committed: not the lists
        found = (folder / "backlinks").glob("*.json")
        return {p.name: p.read_bytes() for p in found if not p.name.startswith("outreach")}

    committed = data(SAMPLE)
    # From the copy's folder and from elsewhere (the README's `-f sample_site/mkdocs.yml`):
    # where a build runs from is not what the committed ledger records.
    for cwd, config in ((root, "mkdocs.yml"), (tmp_path, "sample_site/mkdocs.yml")):
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config]
        result = run_offline(command, cwd=cwd)
        assert result.returncode == 0, result.stderr
        assert data(root) == committed
    assert "9 new contacts, 9 notes to send" in result.stderr
    shutil.rmtree(root)
