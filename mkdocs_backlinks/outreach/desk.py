"""The outreach desk: what a build does with the ledger and the outreach lists.

Before the build it validates the ledger; after it, it records the build's citations into
the ledger and, when something changed, writes the lists again (`lists`, from the `report`).
`settings_for`, `data_folder` and `OutreachDesk.for_config` turn the plugin's options into
what the desk takes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from mkdocs.plugins import get_plugin_logger
from mkdocs.utils import get_build_datetime

from mkdocs_backlinks.files import FileRange, locked, spool_text, write_bytes_atomic
from mkdocs_backlinks.graph.linkgraph import LinkGraph
from mkdocs_backlinks.ledger.contacts import linked_back
from mkdocs_backlinks.ledger.file import (
    LEDGER_FILE,
    LedgerFile,
    metadata_in,
    parse_ledger,
    read_head,
    read_ledger_lines,
    read_ledger_text,
    read_records_hash,
    records_hash,
)
from mkdocs_backlinks.ledger.format import head_line, records_chunks
from mkdocs_backlinks.ledger.gather import Observed, gather, merge_gathered, observed_digest
from mkdocs_backlinks.ledger.model import Ledger, ListsState
from mkdocs_backlinks.ledger.people import contact_keys
from mkdocs_backlinks.outreach.lists import (
    LIST_FILES,
    lists_fingerprint,
    with_lists,
    write_lists,
)
from mkdocs_backlinks.outreach.notes import NoteWriter, thanks_writer
from mkdocs_backlinks.outreach.settings import Settings, setup_warnings
from mkdocs_backlinks.works.model import WorkMeta

log = get_plugin_logger(__name__)


def build_date() -> str:
    """Today as the build sees it: `SOURCE_DATE_EPOCH` pins it, as it pins MkDocs' own date."""
    return get_build_datetime().date().isoformat()


class ObservedCitations:
    """This build's citations, with the public URL of each citing page, made afresh on every
    iteration.

    Not a list, because the common case, a rebuild that changes nothing, only reads them once
    for a digest: holding all of them on a large site just for that was enough to set off a
    full garbage collection of the whole build's objects at its very end.
    """

    def __init__(self, graph: LinkGraph, site_url: str | None) -> None:
        self.graph = graph
        self.base = site_url.rstrip("/") + "/" if site_url else ""

    def __iter__(self) -> Iterator[Observed]:
        graph = self.graph
        for src in sorted(graph.pages):
            info = graph.pages[src]
            page_url = self.base + info.url  # one string for all the page's citations
            for link in graph.citations(src):
                yield Observed(link.target, src, info.title, page_url, link.text, link.context)

    def release(self) -> None:
        """Let the graph go once its citations are gathered (`ledger.gather`), before the old
        ledger is read: what it still holds in memory (every page's title and the titles of
        its linking sections) the merge and the outreach lists do not need. Iterating
        afterwards gives nothing.

        Only this object's reference goes: the graph itself is not emptied, so the lazy
        section data a theme or another plugin kept (`PageSections`) still reads from it."""
        self.graph = LinkGraph()


class OutreachDesk:
    """Checks the ledger before the build and records the build into it afterwards.

    Built for the common case, a rebuild that changes nothing: the ledger is validated before
    the build (while memory is still low) and then let go; after the build, a digest of the
    build's citations is compared with the one in the ledger's first line, and when they match
    and the lists are up to date, at most that one line is rewritten (and only over the records
    that were validated). Only a build that changes something, or finds the file changed since
    it was validated, reads the whole ledger again (checking it), merges, and rewrites what
    changed.
    """

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.path = folder / LEDGER_FILE
        self.settings = settings
        self.writer = NoteWriter(settings.note_template, settings.template_cache)
        # A thank-you template that cannot load fails now, not at the end.
        thanks_writer(settings.thanks_template, settings.template_cache)
        self.contact_of = contact_keys(settings.people_hosts)
        self._body_hash = ""
        self.stored: dict[str, WorkMeta] = {}
        """Metadata of cited works the ledger holds, read by `load` for the build to show."""

    def load(self, metadata: bool = False) -> None:
        """Validate the ledger now, so a damaged one stops the build before any work.

        With `metadata`, also keep what it knows about cited works in `stored`, for the
        sections to show.
        """
        self.stored = {}
        text = read_ledger_text(self.path)
        if text is None:
            self._body_hash = ""
            self.stored = {}
            return
        body_hash = records_hash(text)
        # The first line records the digest of the records it was written with (inside the
        # lists fingerprint). When they still match, the records are byte for byte what a
        # previous build or command validated and wrote, and parsing them again would only
        # cost time; any other text, a hand edit included, is parsed and checked in full.
        head = read_head(self.path)
        if head is None or head.lists.fingerprint != self._fingerprint(body_hash):
            ledger = parse_ledger(text, self.path)
            if metadata:
                self.stored = {u: w.meta for u, w in ledger.works.items() if w.meta}
        elif metadata:
            self.stored = metadata_in(text)
        self._body_hash = body_hash

    def record(
        self,
        observed: Iterable[Observed],
        metadata: Mapping[str, WorkMeta] | None = None,
        *,
        mentions: tuple[tuple[str, int, str], ...] | None = None,
    ) -> dict[str, Any]:
        """Record this build; return the summary for the build's log line.

        `mentions` are the sites that mention this site, as the mentions desk found them
        (`MentionsDesk.sites`): they join the relationships, and a told contact among them
        becomes linked-back. None keeps what the settings say (no mentions by default).

        `observed` is read once for the digest and, when something changed, once more for
        the merge: a list or a re-iterable such as `ObservedCitations` (a one-pass iterator is
        read into a list first). `metadata` is what the build knows about the cited works
        (None when it learned nothing, and then the ledger keeps what it had).

        The data folder is locked from reading the ledger to writing it (`files.locked`): a
        `mkdocs-backlinks mark`, or another build, saving in between would otherwise be
        overwritten by this build's merge of what it read before.
        """
        if mentions is not None:
            self.settings = replace(self.settings, mentions=mentions)
        with locked(self.folder):
            summary = self._record(observed, metadata)
        if summary["contacts"]:
            # Once per build, in the words the review page's banner uses (`Report`).
            for warning in setup_warnings(self.settings):
                log.warning(warning)
        return summary

    def _record(
        self, observed: Iterable[Observed], metadata: Mapping[str, WorkMeta] | None
    ) -> dict[str, Any]:
        self.stored = {}  # let it go: the merge reads the ledger again if it must
        if iter(observed) is observed:
            # A one-pass iterator (a generator): the digest would spend it, and the merge
            # would then record no citation and mark every work no longer cited.
            observed = list(observed)
        head = read_head(self.path) if self._body_hash else None
        lists_ok = all((self.folder / name).exists() for name in LIST_FILES)
        if head is None:
            # Nothing to compare a digest with (a first build, a ledger to be read whole): the
            # citations are gathered at once, and their digest taken on the way.
            return self._record_changes(observed, None, lists_ok, metadata)
        digest = observed_digest(observed, metadata)
        # Nothing changed, so nothing is written, not even a date: `last_build` is the last
        # build that changed the records (`ledger.gather`), and a committed ledger stays as it
        # was checked out. Only if the records are still those `load` checked: a file edited
        # or damaged since (by hand, a checkout, another command) is read and checked whole,
        # and a damaged one stops the build untouched. Only their digest is needed for that,
        # so the file is read a block at a time, never held whole.
        if (
            head.observed == digest
            and lists_ok
            and head.lists.fingerprint == self._fingerprint(self._body_hash)
            and read_records_hash(self.path) == self._body_hash
        ):
            return self._summary(head)
        return self._record_changes(observed, digest, lists_ok, metadata)

    @staticmethod
    def _summary(ledger: Ledger) -> dict[str, Any]:
        """The build log's counts: all from the lists' state, so "N new contacts" is the
        list's "New (N)" (contacts no one has looked at since they appeared; a build that
        brings more moves the earlier ones to `pending`)."""
        lists = ledger.lists
        return {"contacts": lists.contacts, "to_do": lists.to_do, "new_contacts": lists.new}

    def _record_changes(
        self,
        observed: Iterable[Observed],
        digest: str | None,
        lists_ok: bool,
        metadata: Mapping[str, WorkMeta] | None,
    ) -> dict[str, Any]:
        # This runs at the end of a build, when memory peaks, so what is no longer needed is
        # let go as soon as it is not: the old ledger's text once parsed, the old ledger once
        # merged, the build's graph once its citations are read (see ObservedCitations). The
        # old ledger's works that are cited as before share this build's citations rather
        # than hold a copy (`read_ledger_lines`), and the records' text is never held whole.
        # The review page's template is compiled first, while the least is held: compiling
        # takes a few times the memory the compiled template keeps, and a build that gets
        # here has changed citations, so it writes the lists. (Imported here, like the report
        # and its other formats in `lists`: a build that changes nothing never loads them.)
        from mkdocs_backlinks.outreach.formats import review_template

        review_template(self.settings.template_cache)
        gathered = gather(observed, metadata, digest)
        if isinstance(observed, ObservedCitations):
            observed.release()
        found = read_ledger_lines(self.path, gathered.by_url)
        old, old_head, old_hash = found or self._read_whole()
        del found
        merged = merge_gathered(
            old, gathered, self.settings.today, self.contact_of, metadata=metadata
        )
        del gathered
        latest = {site: when for site, _, when in self.settings.mentions}
        merged = linked_back(merged, latest, self.settings.today)
        old_lists = old.lists
        del old
        # The records are encoded once, into a temporary file beside the ledger, and copied
        # after the first line, which names their digest and is known only after the lists.
        with tempfile.TemporaryFile(dir=self.folder) as body:
            body_hash = spool_text(records_chunks(merged), body)
            return self._write(merged, body, body_hash, old_lists, old_head, old_hash, lists_ok)

    def _write(
        self,
        merged: Ledger,
        body: BinaryIO,
        body_hash: str,
        old_lists: ListsState,
        old_head: str,
        old_hash: str,
        lists_ok: bool,
    ) -> dict[str, Any]:
        """Write the lists, when their fingerprint changed, and then the ledger: its first
        line and the records already encoded in `body`."""
        fingerprint = self._fingerprint(body_hash)
        report = None
        if not lists_ok or fingerprint != old_lists.fingerprint:
            # Made before anything is written: if a note fails, nothing is.
            merged, report = with_lists(merged, fingerprint, self.settings, self.writer)
        head = head_line(merged)  # the list state lives in the first line only
        # The lists first, the ledger last: its first line says which records the lists were
        # made from, so a build killed between the two leaves a ledger that still names the
        # old ones, and the next build makes the lists again. (The other way round, the
        # ledger would vouch for lists that were never written.)
        if report is not None:
            write_lists(self.folder, report, self.settings.template_cache)
        del report
        if head != old_head or body_hash != old_hash:
            records = FileRange(body, 0, body.tell())
            write_bytes_atomic(self.path, (head.encode("utf-8"), records))
        self._body_hash = body_hash
        return self._summary(merged)

    def _read_whole(self) -> LedgerFile:
        """The ledger read as one document: for a file not laid out as this plugin writes it
        (a hand edit), or damaged, which raises LedgerError naming the problem."""
        text = read_ledger_text(self.path)
        if text is None:
            return LedgerFile(Ledger(), "", "")
        head = text.partition("\n")[0] + "\n"
        return LedgerFile(parse_ledger(text, self.path), head, records_hash(text))

    def _fingerprint(self, body_hash: str) -> str:
        return lists_fingerprint(body_hash, self.settings, self.writer)
