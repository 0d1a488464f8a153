"""The ledger file on disk: one reader, with a view for each need, and the save.

Every way of reading the file goes through `LedgerReader`: the whole ledger, validated (a
command, a build that records a change); its first line only (a build that may have nothing
to record); the metadata of its works only (the sections); and a line-by-line read that
holds one record at a time (a build at its end, when memory peaks). The views agree: a file
that one cannot read exactly as the whole-document reader would is left to that reader, which
names the problem. The functions under the class are the names the rest of the package used
before there was one reader, each a view of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, NamedTuple

from mkdocs_backlinks.files import (
    check_schema,
    conflict_marker,
    locked,
    text_digest,
    write_text_atomic,
)
from mkdocs_backlinks.files import expect_str as _str
from mkdocs_backlinks.ledger.format import (
    LEDGER_SCHEMA,
    LEDGER_VERSION,
    SECTIONS,
    decode_contact,
    decode_date,
    decode_ledger,
    decode_work,
    dumps,
    ledger_from,
)
from mkdocs_backlinks.ledger.merge import merge3
from mkdocs_backlinks.ledger.model import (
    Citation,
    Contact,
    Ledger,
    LedgerError,
    ListsState,
    Work,
)
from mkdocs_backlinks.works.model import WorkMeta, meta_from_record

LEDGER_FILE = "ledger.json"
"""The ledger's name in the data folder."""

MERGE_HELP = "see 'The ledger in git' in the README"


class LedgerFile(NamedTuple):
    """A ledger read from its file, with what a build compares its own result with."""

    ledger: Ledger
    head: str
    """The first line, newline included."""
    records_hash: str
    """sha256 of everything after the first line."""


@dataclass(frozen=True, slots=True)
class LedgerReader:
    """The one reader of the ledger at `path`; each method is a view of the file.

    Whole (`ledger`, or `parse` of text already read), first line only (`head`), metadata only
    (`metadata`), line by line (`lines`), or whole with what a build compares its result
    with (`file`: line by line when the file is laid out as `dumps` writes it).
    """

    path: Path

    def text(self) -> str | None:
        """The ledger file's text, None when there is none; LedgerError when it cannot be read."""
        path = self.path
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as exc:
            raise LedgerError(
                f"The ledger {path} is not UTF-8 text ({exc.reason} at byte {exc.start}). It was "
                "left untouched: fix it or restore it from version control."
            ) from exc
        except OSError as exc:
            what = "is a folder, not a file" if path.is_dir() else f"cannot be read: {exc}"
            raise LedgerError(
                f"The ledger {path} {what}. Nothing was written: move it aside or restore the "
                "file from version control."
            ) from exc

    def parse(self, text: str) -> Ledger:
        """The whole ledger of `text` read from the file (named in errors), validated."""
        path = self.path
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            reason = _unreadable(text, path, exc)
            if reason is not None:
                raise LedgerError(reason) from exc
            raise LedgerError(
                f"The ledger {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}). It was left untouched: fix it or restore it from version control."
            ) from exc
        except ValueError as exc:  # a number of more digits than Python converts (4,300)
            raise LedgerError(
                f"The ledger {path} is damaged: {exc}. It was left untouched: fix it or restore "
                "it from version control."
            ) from exc
        except RecursionError as exc:  # the decoder gives up on arrays or objects nested this deep
            raise LedgerError(
                f"The ledger {path} is damaged: its JSON is nested too deeply to read. It was left "
                "untouched: fix it or restore it from version control."
            ) from exc
        try:
            return decode_ledger(data)
        except KeyError as exc:
            raise LedgerError(
                f"The ledger {path} is damaged: a required field {exc} is missing. It was left "
                "untouched: fix it or restore it from version control."
            ) from exc
        except (TypeError, ValueError) as exc:
            raise LedgerError(
                f"The ledger {path} is damaged: {exc}. It was left untouched: fix it or restore it "
                "from version control."
            ) from exc

    def ledger(self) -> Ledger:
        """The whole ledger, validated; a missing file is an empty ledger.

        Nothing is kept: `load_ledger` is the reader for a command that saves afterwards."""
        text = self.text()
        return Ledger() if text is None else self.parse(text)

    def head(self) -> Ledger | None:
        """The ledger's first line only (dates, digests, list state), without its records.

        None when the file is missing or the line is not what this version writes; the caller
        then reads the whole file, which reports any damage properly.
        """
        try:
            with self.path.open(encoding="utf-8") as handle:
                line = handle.readline()
            data = json.loads(line.rstrip().rstrip(",") + "}")
            lists = data.get("lists", {})
            return Ledger(
                last_build=decode_date(data.get("last_build"), "'last_build'"),
                observed=_str(data.get("observed", ""), "'observed'"),
                lists=ListsState(
                    _str(lists.get("fingerprint", ""), "fingerprint"),
                    int(lists.get("contacts", 0)),
                    int(lists.get("to_do", 0)),
                    int(lists.get("new", 0)),
                ),
            )
        except (OSError, ValueError, TypeError, AttributeError, RecursionError):
            return None

    def metadata(self, text: str | None = None) -> dict[str, WorkMeta]:
        """The metadata of each work that has some, by URL.

        `text` is the file's text once validated (a build's first read checked it, or its
        first line vouches for it): only the metadata is read out of it (`metadata_in`).
        Without it, the file is read and validated whole; a missing one holds nothing.
        """
        if text is not None:
            return metadata_in(text)
        return {url: work.meta for url, work in self.ledger().works.items() if work.meta}

    def lines(self, shared: Mapping[str, tuple[Citation, ...]] | None = None) -> LedgerFile | None:
        """The ledger at `path`, read a line at a time; None unless it is laid out as `dumps`
        writes it (then `load_ledger` reads it, and reports any damage).

        `shared` holds citations by work URL already in memory (a build's own, `gather`): a
        work whose stored citations are equal takes that tuple, and its decoded copy is let
        go at once. After an edit most works are cited as before, and without this every
        citation's strings were held twice while the build merged, at its peak.

        For the build that records a change, at its end, when memory peaks: reading the file as
        one text and parsing it as one JSON document held the text, the whole parsed tree and the
        ledger at once, several times what the ledger alone takes. Here one record is parsed and
        decoded at a time. The result is the one `parse` gives for the file: each line of that
        layout is one complete member of the document, and anything else (a hand-formatted
        file, a record that fails to decode) sends the caller to the whole-document path.
        """
        try:
            with self.path.open("rb") as handle:
                return _read_lines(handle, shared or {})
        # What a damaged or hand-made file raises on the way (UnicodeDecodeError and
        # JSONDecodeError are ValueErrors; RecursionError is JSON nested too deep): the whole
        # parser reads the file again and names the problem, or reads what this layout cannot.
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None

    def records_hash(self) -> str | None:
        """`records_hash` of the file's text, read a block at a time; None when the file is
        missing or cannot be read as text (the whole reader then names the problem).

        For a build that finds nothing changed, at its end, when memory peaks: it only asks
        whether the records are still those it validated, and the file read as one text (with
        its undecoded bytes, and the slices encoded again) was held for that answer. Read as
        `text` reads it (UTF-8, universal newlines), so the two agree on any file."""
        digest = hashlib.sha256()
        try:
            with self.path.open(encoding="utf-8") as handle:
                handle.readline()  # the first line is not a record
                while block := handle.read(_BLOCK):
                    digest.update(block.encode())
        except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
            return None
        return digest.hexdigest()

    def file(self) -> LedgerFile:
        """The whole ledger with its first line and `records_hash`: read line by line when the
        file is laid out as `dumps` writes it, else as one document (a hand edit), which
        raises LedgerError naming any damage. A missing file is an empty ledger."""
        found = self.lines()
        if found is not None:
            return found
        text = self.text()
        if text is None:
            return LedgerFile(Ledger(), "", "")
        return LedgerFile(self.parse(text), text.partition("\n")[0] + "\n", records_hash(text))


def read_ledger_text(path: Path) -> str | None:
    """The ledger file's text, None when there is none; LedgerError when it cannot be read."""
    return LedgerReader(path).text()


def parse_ledger(text: str, path: Path) -> Ledger:
    """Validate ledger `text` read from `path` (named in errors)."""
    return LedgerReader(path).parse(text)


def read_ledger(path: Path) -> Ledger:
    """The whole ledger at `path`, validated, without keeping it as `load_ledger` does."""
    return LedgerReader(path).ledger()


def read_head(path: Path) -> Ledger | None:
    """The ledger's first line only (see `LedgerReader.head`)."""
    return LedgerReader(path).head()


def read_records_hash(path: Path) -> str | None:
    """The digest of the ledger's records, read a block at a time (see
    `LedgerReader.records_hash`)."""
    return LedgerReader(path).records_hash()


def read_ledger_lines(
    path: Path, shared: Mapping[str, tuple[Citation, ...]] | None = None
) -> LedgerFile | None:
    """The ledger read a line at a time (see `LedgerReader.lines`)."""
    return LedgerReader(path).lines(shared)


def metadata_in(text: str) -> dict[str, WorkMeta]:
    """The metadata of each work in ledger `text` that was already validated, without
    building the whole ledger: the build needs titles, not contacts and citations."""
    # A key can only appear unescaped outside strings: without one, there is nothing to read.
    if '"meta":' not in text:
        return {}
    data = json.loads(text)
    works = data.get("works") if isinstance(data, dict) else None
    if not isinstance(works, dict):
        return {}
    found = {}
    for url, record in works.items():
        meta = meta_from_record(record.get("meta") if isinstance(record, dict) else None)
        if meta:
            found[url] = meta
    return found


_BLOCK = 1 << 16
"""Characters `LedgerReader.records_hash` reads at a time."""


def records_hash(text: str) -> str:
    """sha256 of the ledger's records: everything after its first line (`LedgerFile`)."""
    # Encoded a slice at a time: the records are megabytes on a large site, and a build does
    # this when its memory peaks.
    step = 1 << 20
    newline = text.find("\n")
    start = len(text) if newline < 0 else newline + 1  # no first line ends: no records
    return text_digest(text[at : at + step] for at in range(start, len(text), step))


def _unreadable(text: str, path: Path, error: json.JSONDecodeError) -> str | None:
    """What is wrong, in plain words, for the common ways a ledger stops being JSON: a git
    merge that left its conflict markers, an empty file, a file cut short. None otherwise."""
    marker = conflict_marker(text)
    if marker is not None:
        number, line = marker
        return (
            f"The ledger {path} holds an unresolved git merge conflict (line {number}: "
            f"{line[:40]!r}). It was left untouched. Resolve it with the ledger's merge "
            f"driver: 'git checkout -m -- {path.name}' in its folder once the driver is set "
            f"up ({MERGE_HELP}), or keep one side ('git checkout --ours -- {path.name}' or "
            "'--theirs') and build again; then 'git add' it."
        )
    where = f"The ledger {path} is not valid JSON (line {error.lineno}, column {error.colno}: "
    if not text.strip():
        return (
            f"{where}{error.msg}): it is empty. It was left untouched: restore it from version "
            f"control ('git checkout -- {path.name}' in its folder), or delete it to start a "
            "new ledger (the statuses you set are then lost)."
        )
    # The parser ran out of text mid-document, or stopped on a last line that does not close
    # it (a word or a string cut in two): the ledger always ends with its closing brace.
    stripped = text.rstrip()
    last_line = stripped.count("\n") + 1
    if error.pos >= len(stripped) or (error.lineno == last_line and not stripped.endswith("}")):
        return (
            f"{where}{error.msg}): it is cut short, ending at line {len(text.splitlines())} "
            "before its document closes. It was left untouched: restore it from version "
            "control."
        )
    return None


def _read_lines(handle: IO[bytes], shared: Mapping[str, tuple[Citation, ...]]) -> LedgerFile | None:
    first = handle.readline()
    head = _head_of(first)
    if head is None:
        return None
    digest = hashlib.sha256()
    records = _Records(shared)
    order = iter(SECTIONS)  # sections come in this order, each at most once
    section = ""  # the section being read; "" between sections
    # What the last line ended with, so that commas are where JSON wants them: "," (the
    # head line ends with one), "{" (a section opened), "}" (a member or section ended).
    after = ","
    for raw in handle:
        digest.update(raw)
        if not raw.endswith(b"\n"):
            return None
        line = raw[:-1].decode("utf-8")
        if not section:
            if line == "}" and after == "}":  # the end of the document; nothing may follow
                if handle.read(1):
                    return None
                return LedgerFile(records.ledger(head), first.decode("utf-8"), digest.hexdigest())
            name = line.removesuffix(":{")[1:-1]
            if after != "," or line != f'"{name}":{{' or name not in order:
                return None
            section, after = name, "{"
        elif line in ("}", "},"):  # the end of the section
            if after == ",":
                return None
            section, after = "", line[-1]
        else:  # one member of the section: '"key":{...}' and a comma unless it is the last
            if after == "}":
                return None
            after = "," if line.endswith(",") else "}"
            records.add(section, line[:-1] if after == "," else line)
    return None  # the file ended inside the document


def _head_of(first: bytes) -> dict[str, Any] | None:
    """The first line's fields, None unless it is laid out as `dumps` writes it."""
    if not first.endswith(b",\n"):
        return None
    # Decoded here, strictly, as `read_ledger_text` does: `json.loads` of bytes would skip a
    # UTF-8 byte order mark and let encoded surrogates through, both of which the whole
    # parser refuses.
    head = json.loads(first[:-2].decode("utf-8") + "}")
    if not isinstance(head, dict) or any(name in head for name in SECTIONS):
        return None
    check_schema(head, LEDGER_SCHEMA, LEDGER_VERSION)
    return head


class _Records:
    """The records read so far, one member line at a time, decoded as they come."""

    def __init__(self, shared: Mapping[str, tuple[Citation, ...]]) -> None:
        self.shared = shared
        """Citations already in memory, by work URL, for equal works to take (`lines`)."""
        self.contacts: dict[str, Contact] = {}
        self.works: dict[str, Work] = {}
        self.sends: dict[str, Any] = {}

    def add(self, section: str, member: str) -> None:
        """Decode one member of `section`: '"key":{...}', without the comma after it."""
        # ValueError (caught by `LedgerReader.lines`) unless the line held exactly one member.
        # A repeated key is assigned again, in its first place, as the whole-document parser
        # does.
        ((key, value),) = json.loads("{" + member + "}").items()
        if section == "contacts":
            self.contacts[key] = decode_contact(key, value)
        elif section == "works":
            work = decode_work(key, value, self.contacts)
            same = self.shared.get(key)
            if same is not None and same == work.citations:
                work = replace(work, citations=same)
            self.works[key] = work
        else:
            self.sends[key] = value

    def ledger(self, head: Mapping[str, Any]) -> Ledger:
        return ledger_from(head, self.contacts, self.works, self.sends)


# ----------------------------------------------------------------------------- load and save

# What this process last read from or wrote to each ledger file: the base `save_ledger` merges
# against when another process wrote the file in between. Only the commands read it (a build
# records through `outreach.OutreachDesk`, which re-reads under the lock instead).
_read: dict[str, tuple[str, Ledger]] = {}


def load_ledger(path: Path) -> Ledger:
    """Read and validate the ledger; a missing file is an empty ledger."""
    reader = LedgerReader(path)
    text = reader.text()
    ledger = Ledger() if text is None else reader.parse(text)
    _read[str(path.absolute())] = (text or "", ledger)
    return ledger


def save_ledger(path: Path, ledger: Ledger) -> None:
    """Write the ledger atomically, with the data folder locked.

    When the file is no longer what this process last read (`load_ledger`) or saved, another
    process (a build, another command) saved it in between: the two are merged (`merge3`), so
    neither loses what it recorded. A file damaged meanwhile raises LedgerError and is left
    alone; so does a failed write (a read-only folder), with the reason.
    """
    key = str(path.absolute())
    try:
        with locked(path.parent):
            base = _read.get(key)
            reader = LedgerReader(path)
            current = reader.text()
            written = ledger
            if base is not None and (current or "") != base[0]:
                theirs = Ledger() if current is None else reader.parse(current)
                written = merge3(base[1], ledger, theirs)
            text = dumps(written)
            if text != current:
                write_text_atomic(path, text)
    except OSError as exc:
        raise LedgerError(
            f"Cannot write the ledger {path}: {exc}. The file was left as it was."
        ) from exc
    # The caller goes on from `ledger`, not from the merge: its next save is merged with the
    # file again (the texts differ), so what the other process recorded is kept then too.
    _read[key] = (text if written is ledger else dumps(ledger), ledger)
