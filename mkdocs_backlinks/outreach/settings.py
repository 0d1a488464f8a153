"""What the outreach list needs from the configuration, as one plain record.

The report, the notes and the lists fingerprint read it; `desk.settings_for` makes it from the
plugin's options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mkdocs_backlinks.ledger.people import PEOPLE_HOSTS, REFERENCE_SITES


@dataclass(frozen=True, slots=True)
class Settings:
    """What the outreach list needs from the configuration."""

    site_name: str
    site_url: str
    author: str
    author_url: str
    sign_off: str
    tone: str
    done_statuses: tuple[str, ...]
    exclude_sites: tuple[str, ...]
    note_template: Path | None
    config_file: str
    today: str
    mentions: tuple[tuple[str, int, str], ...] = ()
    """Sites that mention this site: (site, visible mentions, date of the latest)."""
    people_hosts: tuple[str, ...] = PEOPLE_HOSTS
    """Hosts where the contact is the owner the path names (`ledger.people`)."""
    reference_sites: tuple[str, ...] = REFERENCE_SITES
    """Sites credited but left out of the notes to send."""
    thanks_template: Path | None = None
    """The author's template for the public thank-you, replacing the shipped one."""
    template_cache: Path | None = field(default=None, repr=False)
    """The plugin's cache folder, where the compiled note, thank-you and review page templates
    are kept; None for none.
    Not in the repr, which the lists' fingerprint reads (`lists.lists_fingerprint`): where a
    build keeps its cache says nothing of what the lists hold."""


def setup_warnings(settings: Settings) -> tuple[str, ...]:
    """What makes every note unsendable as configured, in the words the build log and the
    review page use: a note needs a link to the pages it speaks of, and a name to sign."""
    found = []
    if not settings.site_url:
        found.append(
            "Outreach notes cannot link to your pages: set 'site_url' in mkdocs.yml so each "
            "note says where you cited the work."
        )
    if not settings.author:
        found.append(
            "Outreach notes are not signed: set 'site_author' in mkdocs.yml (or the plugin's "
            "'outreach.author') so each note says who wrote it."
        )
    return tuple(found)
