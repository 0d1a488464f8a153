"""The journal of a running `send --yes`: each outcome on disk the moment it is known.

The ledger is the record of what was sent, but it holds every citation of the site: writing it
whole after each webmention would cost a full dump and fsync of a file of megabytes per POST.
So a run appends each outcome to `send.journal` in the data folder, one JSON line, written and
fsynced before the next webmention goes, and saves the ledger every few seconds and at its end,
emptying the journal each time the ledger holds what the journal said (`record.Recorder`). A
run killed in between (`kill -9`, a power cut) leaves the journal behind: the next run folds it
into the ledger before it plans (`replay`), and a dry run plans as if it had, so nothing the
receivers already took is sent to them again. Folding the same lines in twice records the same
outcomes twice, which changes nothing: a run killed after saving the ledger but before emptying
the journal is harmless.

The file also keeps two runs from sending at once (each would send what the other sends): a run
holds a lock on it (`flock`) for as long as it lives, which the kernel lets go of when the
process dies, so a journal whose lock can be taken belongs to a run that is over.

Each stretch of lines starts with a head naming the schema and the plan's moved pages: an old
address's record must exist before its first outcome lands on it (`plan.split_moves`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs_backlinks.files import expect_dict, expect_str
from mkdocs_backlinks.ledger.model import Ledger, LedgerError
from mkdocs_backlinks.webmention.outcomes import Delivery
from mkdocs_backlinks.webmention.plan import Action, Step, split_moves
from mkdocs_backlinks.webmention.record import apply_outcome

__all__ = [
    "JOURNAL_FILE",
    "Journal",
    "JournalBusy",
    "Moves",
    "Outcome",
    "read_journal",
    "replay",
]

JOURNAL_FILE = "send.journal"
"""The journal's name in the data folder, beside the ledger."""

SCHEMA = "mkdocs-backlinks/send-journal"
VERSION = 1


class JournalBusy(LedgerError):
    """Another `send --yes` holds the journal: it is sending for this site right now."""


@dataclass(frozen=True, slots=True)
class Moves:
    """A head line: the moved pages of the plan the outcomes after it were recorded on."""

    moved: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One outcome line: what `Recorder.add` recorded."""

    step: Step
    delivery: Delivery
    today: str


Entry = Moves | Outcome


def replay(ledger: Ledger, entries: Iterable[Entry]) -> Ledger:
    """`ledger` with the journal's outcomes recorded on it, in their order."""
    for entry in entries:
        if isinstance(entry, Moves):
            ledger = split_moves(ledger, entry.moved)
        else:
            ledger = apply_outcome(ledger, entry.step, entry.delivery, entry.today)
    return ledger


def read_journal(folder: Path) -> list[Entry]:
    """The entries of the journal in `folder`, without taking it (a dry run plans on them);
    none when there is no journal. LedgerError names a damaged one."""
    path = folder / JOURNAL_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LedgerError(f"Cannot read the send journal {path}: {exc}.") from exc
    return _parse(data, path)


class Journal:
    """The journal of this run, held (locked) from `take` to `close`."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._moved: Mapping[str, str] = {}
        self._headed = False

    @classmethod
    def take(cls, folder: Path) -> Journal:
        """Open (or create) the journal in `folder` and lock it for this run; JournalBusy
        when another run holds it, LedgerError when it cannot be opened."""
        path = folder / JOURNAL_FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        except OSError as exc:
            raise LedgerError(
                f"Cannot open the send journal {path}: {exc}. Nothing was sent."
            ) from exc
        try:
            _lock(fd, path)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    def leftover(self) -> list[Entry]:
        """What a run that did not finish left in the journal (nothing after a clean run)."""
        size = os.fstat(self._fd).st_size
        return _parse(os.pread(self._fd, size, 0), self.path) if size else []

    def begin(self, moved: Mapping[str, str]) -> None:
        """Record this run's outcomes on the plan with these moved pages."""
        self._moved = dict(moved)
        self._headed = False

    def note(self, step: Step, delivery: Delivery, today: str) -> None:
        """Append one outcome and have it on disk before returning."""
        lines = []
        if not self._headed:
            lines.append(_line({"schema": SCHEMA, "version": VERSION, "moved": self._moved}))
        lines.append(_line(_outcome_record(step, delivery, today)))
        # One write call per outcome on a file opened for appending: a killed process leaves
        # whole lines (and at worst a last one cut short, which `_parse` skips).
        os.write(self._fd, "".join(lines).encode("utf-8"))
        os.fsync(self._fd)
        self._headed = True

    def clear(self) -> None:
        """Forget every line: the ledger on disk holds them now."""
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)
        self._headed = False

    def close(self) -> None:
        """Let go of the journal; an empty one is removed, one that still holds outcomes (the
        ledger could not be saved) stays for the next run."""
        try:
            if os.fstat(self._fd).st_size == 0:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
        finally:
            os.close(self._fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _lock(fd: int, path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - no Windows runner
        return  # no guard against a second run there, as on a file system without locks
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalBusy(
            f"Another 'mkdocs-backlinks send --yes' is sending for this site (it holds {path}). "
            "Nothing was sent: two runs at once would send the same webmentions twice. Run "
            "again once it has finished."
        ) from None
    except OSError:  # ENOLCK, EOPNOTSUPP: a file system without locks
        return


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


_STEP_FIELDS = ("page", "source", "key", "target", "action", "reason", "digest")
_DELIVERY_FIELDS = ("outcome", "target", "endpoint", "location", "reason", "not_before")


def _outcome_record(step: Step, delivery: Delivery, today: str) -> dict[str, Any]:
    return {
        "step": {name: getattr(step, name) for name in _STEP_FIELDS},
        "delivery": {
            **{name: getattr(delivery, name) for name in _DELIVERY_FIELDS},
            "http_status": delivery.http_status,
        },
        "today": today,
    }


def _parse(data: bytes, path: Path) -> list[Entry]:
    """The journal's entries. The last line may be cut short (the process was killed as it
    wrote it, so its webmention was never recorded anywhere): it is left out. Any other damage
    is named, and the journal left as it is."""
    lines = data.split(b"\n")
    if lines[-1]:  # no newline at the end: cut short
        lines.pop()
    entries: list[Entry] = []
    for number, raw in enumerate(lines, start=1):
        if not raw:
            continue
        try:
            entries.append(_entry(json.loads(raw.decode("utf-8"))))
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise LedgerError(
                f"The send journal {path} is damaged at line {number} ({exc}). It was left "
                "untouched: it holds outcomes of an interrupted 'send --yes' not yet in the "
                "ledger. Fix the line, or delete the file (those webmentions are then sent "
                "again)."
            ) from exc
    return entries


def _entry(data: Any) -> Entry:
    record = expect_dict(data, "a line")
    if "schema" in record:
        if record["schema"] != SCHEMA or record.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} {SCHEMA} head")
        moved = expect_dict(record.get("moved", {}), "'moved'")
        return Moves({expect_str(k, "a page"): expect_str(v, "a URL") for k, v in moved.items()})
    step = expect_dict(record["step"], "'step'")
    delivery = expect_dict(record["delivery"], "'delivery'")
    status = delivery.get("http_status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise ValueError("'http_status' must be a number")
    text = {name: expect_str(step[name], repr(name)) for name in _STEP_FIELDS}
    if text["action"] not in ("send", "unlink"):
        raise ValueError(f"'action' must be send or unlink, not {text['action']!r}")
    action: Action = "send" if text["action"] == "send" else "unlink"
    return Outcome(
        Step(
            text["page"],
            text["source"],
            text["key"],
            text["target"],
            action,
            text["reason"],
            text["digest"],
        ),
        Delivery(
            **{name: expect_str(delivery.get(name, ""), repr(name)) for name in _DELIVERY_FIELDS},
            http_status=status,
        ),
        expect_str(record["today"], "'today'"),
    )
