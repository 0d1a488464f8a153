"""Recording outcomes in the ledger: one step at a time, each kept on disk at once (in the
run's journal), the ledger saved now and then during a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from mkdocs_backlinks.ledger.contacts import mark
from mkdocs_backlinks.ledger.model import Ledger, PageSends, SentTarget
from mkdocs_backlinks.webmention.outcomes import DELIVERED, FINAL, Delivery
from mkdocs_backlinks.webmention.plan import Step, is_old_address, split_moves

__all__ = ["Keeper", "Recorder", "apply_outcome"]


def apply_outcome(ledger: Ledger, step: Step, delivery: Delivery, today: str) -> Ledger:
    """The ledger with one step's outcome recorded, and the channel triage done.

    `linked` says whether the receiver may hold a mention from this page: set when it accepts
    a webmention, kept through later failures, cleared once it is told the link is gone. A
    removed link counts as told once the receiver answered anything final (a receiver that no
    longer finds the link often answers 400 after dropping the mention). A contact whose
    endpoint accepted a webmention for a page that cites them becomes `sent`, reason
    `webmention`, with a history event; a contact the author already moved on (sent, replied,
    skipped...) keeps its status.

    A page's step from another URL than its record's is a move: the ledger is split first
    (`split_moves`), so what the old URL told receivers is kept to be told it is gone.
    """
    if step.source and not is_old_address(step.page):
        ledger = split_moves(ledger, {step.page: step.source})
    record = ledger.sends.get(step.page) or PageSends(step.page, step.source)
    before = record.targets.get(step.key)
    was_linked = before.linked if before else False
    if step.action == "send":
        # Only a receiver that took a webmention may hold a mention to be told about later.
        still_linked = delivery.outcome in DELIVERED or was_linked
    else:
        still_linked = was_linked and delivery.outcome not in FINAL
    entry = SentTarget(
        target=delivery.target,
        digest=step.digest,
        outcome=delivery.outcome,
        date=today,
        linked=still_linked,
        http_status=delivery.http_status,
        endpoint=delivery.endpoint,
        location=delivery.location,
        reason=delivery.reason,
        not_before=delivery.not_before,
    )
    targets = dict(record.targets)
    targets[step.key] = entry
    gone = step.reason == "page deleted" or is_old_address(step.page)
    deleted = gone and not any(t.linked for t in targets.values())
    sends = dict(ledger.sends)
    sends[step.page] = replace(
        record,
        source=step.source or record.source,
        targets=dict(sorted(targets.items())),
        deleted=deleted,
    )
    updated = replace(ledger, sends=sends)  # sorted when written
    if step.action == "send" and delivery.outcome in DELIVERED:
        work = ledger.works.get(step.key)
        contact = ledger.contacts.get(work.contact) if work else None
        if contact is not None and contact.status in ("new", "pending"):
            updated = mark(updated, contact.id, "sent", today, "webmention")
    return updated


class Keeper(Protocol):
    """Where each outcome goes the moment it is known (`journal.Journal`): `note` keeps one on
    disk before the next webmention is sent, `clear` forgets them once the ledger holds them."""

    def note(self, step: Step, delivery: Delivery, today: str) -> None: ...

    def clear(self) -> None: ...


class Recorder:
    """Records outcomes into the ledger and saves it now and then (see `deliver`).

    Each outcome is also handed to the `keeper` (the run's journal) before the next webmention
    goes, so a run killed between two saves of the ledger loses none: the next run folds the
    journal in before it plans.
    """

    def __init__(
        self,
        ledger: Ledger,
        today: str,
        save: Callable[[Ledger], None],
        clock: Callable[[], float],
        checkpoint: float,
        reload: Callable[[], Ledger | None] | None = None,
        prepare: Callable[[Ledger], Ledger] = lambda ledger: ledger,
        keeper: Keeper | None = None,
    ) -> None:
        self.ledger = ledger
        self.today = today
        self._save = save
        self._reload = reload
        self._prepare = prepare
        self._keeper = keeper
        self.clock = clock
        self._checkpoint = checkpoint
        self._saved = ledger
        self._saved_at = clock()
        # The ledger as last read or written, and the outcomes recorded since: a run lasts
        # minutes (pacing, slow receivers), and a build or `mark` may write the file meanwhile.
        self._base = ledger
        self._pending: list[tuple[Step, Delivery]] = []

    def add(self, step: Step, delivery: Delivery) -> None:
        self.ledger = apply_outcome(self.ledger, step, delivery, self.today)
        self._pending.append((step, delivery))
        if self._keeper is not None:
            # After the ledger in memory has it: a journal that cannot be written (a full
            # disk) stops the run, and the save on the way out still records this outcome.
            self._keeper.note(step, delivery, self.today)
        if self.clock() - self._saved_at >= self._checkpoint:
            self.flush()

    def flush(self) -> None:
        if self.ledger is self._saved:
            return
        if self._reload is not None:
            on_disk = self._reload()  # None: no file (removed meanwhile), ours is all there is
            if on_disk is not None and on_disk != self._base:
                # Someone else wrote the ledger: our outcomes go on top of their version,
                # rather than their change being overwritten with the one read at the start.
                ledger = self._prepare(on_disk)
                for step, delivery in self._pending:
                    ledger = apply_outcome(ledger, step, delivery, self.today)
                self.ledger = ledger
        self._save(self.ledger)
        if self._keeper is not None:
            # Only now: a run killed before this line has its outcomes in both the ledger and
            # the journal, and folding the journal in again records the same outcomes again.
            self._keeper.clear()
        self._saved = self._base = self.ledger
        self._saved_at = self.clock()
        self._pending.clear()
