"""What the outreach list needs from the configuration, as one plain record.

The report, the notes and the lists fingerprint read it; `desk.settings_for` makes it from the
plugin's options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
