"""The notes: one message per contact, from a Jinja template the author can replace.

A note says who wrote what, where it was cited and why, and asks for nothing, because a note
that asks for a link back reads as link building.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

# Not in the theme's template folder: MkDocs copies the non-HTML files found there into the
# site, and these are private.
OUTREACH_TEMPLATES = Path(__file__).parent / "templates"
NOTE_TEMPLATE = "note.txt"


class NoteWriter:
    """Renders notes from the shipped template or the author's own file."""

    def __init__(self, template_file: Path | None) -> None:
        if template_file is not None:
            loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(template_file.parent))
            name = template_file.name
        else:
            loader = jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES))
            name = NOTE_TEMPLATE
        # Notes are plain text (.txt): nothing to escape. Every view that shows a note in HTML
        # escapes it there. A template named .html would be escaped.
        env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        try:
            self._template = env.get_template(name)
        except jinja2.TemplateError as exc:
            raise ValueError(f"Cannot load the note template {template_file}: {exc}") from exc
        source = self._template.filename
        self.source = Path(source).read_text(encoding="utf-8") if source else ""
        self.origin = str(template_file) if template_file else "the shipped note template"
        self.write(_SAMPLE_NOTE)  # a template that cannot render fails now, not mid-build

    def write(self, variables: dict[str, Any]) -> tuple[str, str]:
        """`(subject, body)` of one note."""
        try:
            text = self._template.render(**variables).strip("\n")
        except jinja2.TemplateError as exc:
            raise ValueError(f"Cannot render the note template {self.origin}: {exc}") from exc
        # The author's template runs Python operations on real data, which fail with Python's
        # own errors ('{{ "%d" % contact.site }}' a TypeError, a division by a count that is
        # zero for one contact): the same clear message, naming the template, not a traceback.
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise ValueError(f"Cannot render the note template {self.origin}: {what}") from exc
        subject = ""
        first, _, rest = text.partition("\n")
        if first.lower().startswith("subject:"):
            subject, text = first[len("subject:") :].strip(), rest.lstrip("\n")
        return subject, _tidy(text)


_SAMPLE_NOTE: dict[str, Any] = {
    "contact": {"id": "example.org", "site": "example.org", "name": ""},
    "works": [
        {
            "url": "https://example.org/post/",
            "title": "A post",
            "home": False,
            "cited": True,
            "citations": [],
        }
    ],
    "pages": [{"title": "My page", "url": "https://example.com/page/", "context": "A sentence."}],
    "me": {"name": "Me", "url": "https://example.com/", "site_name": "My site"},
    "sign_off": "Thanks,",
    "tone": "friendly",
}


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, one final newline."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n") + "\n"


def mark_command(contact_id: str, config_file: str) -> str:
    """The command that records the note as sent, ready to paste."""
    flag = "" if config_file in ("", "mkdocs.yml") else f" -f {_quote(config_file)}"
    return f"mkdocs-backlinks mark {_quote(contact_id)} --status sent{flag}"


def _quote(word: str) -> str:
    safe = all(ch.isalnum() or ch in "-._/:@" for ch in word)
    return word if safe and word else "'" + word.replace("'", "'\\''") + "'"
