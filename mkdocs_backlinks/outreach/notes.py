"""The notes: one message per contact, from a Jinja template the author can replace.

A note says who wrote what, where it was cited and why, and asks for nothing, because a note
that asks for a link back reads as link building.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from mkdocs_backlinks.template_cache import template_cache

# Not in the theme's template folder: MkDocs copies the non-HTML files found there into the
# site, and these are private.
OUTREACH_TEMPLATES = Path(__file__).parent / "templates"
NOTE_TEMPLATE = "note.txt"


THANKS_TEMPLATE = "thanks.txt"


class TemplateError(ValueError):
    """A template that does not load or render; `option` names the option that chose it."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


class NoteWriter:
    """Renders notes from the shipped template or the author's own file."""

    OPTION = "note_template"
    SHIPPED = NOTE_TEMPLATE
    WHAT = "note template"

    def __init__(self, template_file: Path | None, cache: Path | None = None) -> None:
        """`cache` is the plugin's cache folder, where the compiled template is kept."""
        if template_file is not None:
            loader: jinja2.BaseLoader = jinja2.FileSystemLoader(str(template_file.parent))
            name = template_file.name
        else:
            loader = jinja2.FileSystemLoader(str(OUTREACH_TEMPLATES))
            name = self.SHIPPED
        # Notes are plain text (.txt): nothing to escape. Every view that shows a note in HTML
        # escapes it there. A template named .html would be escaped.
        env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            bytecode_cache=template_cache(cache, "notes"),
        )
        try:
            self._template = env.get_template(name)
        except jinja2.TemplateError as exc:
            message = f"Cannot load the {self.WHAT} {template_file}: {exc}"
            raise TemplateError(message, self.OPTION) from exc
        except UnicodeDecodeError as exc:
            message = (
                f"Cannot load the {self.WHAT} {template_file}: it is not UTF-8 text "
                f"({exc.reason} at byte {exc.start}); save it as UTF-8"
            )
            raise TemplateError(message, self.OPTION) from exc
        source = self._template.filename
        self.source = Path(source).read_text(encoding="utf-8") if source else ""
        self.origin = str(template_file) if template_file else f"the shipped {self.WHAT}"
        self.render(self.sample())  # a template that cannot render fails now, not mid-build

    @staticmethod
    def sample() -> dict[str, Any]:
        """Variables like a real note's, to try the template on when it loads."""
        return _SAMPLE_NOTE

    def render(self, variables: dict[str, Any]) -> str:
        """The template's text for `variables`; TemplateError naming the template."""
        try:
            return self._template.render(**variables).strip("\n")
        except jinja2.TemplateError as exc:
            message = f"Cannot render the {self.WHAT} {self.origin}: {exc}"
            raise TemplateError(message, self.OPTION) from exc
        # The author's template runs Python operations on real data, which fail with Python's
        # own errors ('{{ "%d" % contact.site }}' a TypeError, a division by a count that is
        # zero for one contact): the same clear message, naming the template, not a traceback.
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            message = f"Cannot render the {self.WHAT} {self.origin}: {what}"
            raise TemplateError(message, self.OPTION) from exc

    def write(self, variables: dict[str, Any]) -> tuple[str, str]:
        """`(subject, body)` of one note."""
        text = self.render(variables)
        subject = ""
        first, _, rest = text.partition("\n")
        if first.lower().startswith("subject:"):
            subject, text = first[len("subject:") :].strip(), rest.lstrip("\n")
        return subject, _tidy(text)


class ThanksWriter(NoteWriter):
    """Renders the public thank-you (`outreach.thanks_template`): one paragraph, no subject."""

    OPTION = "thanks_template"
    SHIPPED = THANKS_TEMPLATE
    WHAT = "thank-you template"

    @staticmethod
    def sample() -> dict[str, Any]:
        return _SAMPLE_THANKS

    def post(self, variables: dict[str, Any]) -> str:
        """The post's text on one line: white space folded, as a post box shows it."""
        return " ".join(self.render(variables).split())


_SAMPLE_CONTACT = {
    "id": "example.org",
    "site": "example.org",
    "name": "",
    "greet": "",
    "kind": "unknown",
    "organisation": "",
    "home": "https://example.org/",
}
_SAMPLE_NOTE: dict[str, Any] = {
    "contact": _SAMPLE_CONTACT,
    "works": [
        {
            "url": "https://example.org/post/",
            "title": "A post",
            "author": None,
            "home": False,
            "cited": True,
            "citations": [],
        }
    ],
    "more_works": 0,
    "pages": [
        {
            "title": "My page",
            "url": "https://example.com/page/",
            "context": "A sentence.",
            "works": 1,
        }
    ],
    "more_pages": 0,
    "me": {"name": "Me", "url": "https://example.com/", "site_name": "My site"},
    "sign_off": "Thanks,",
    "tone": "friendly",
}
_SAMPLE_THANKS: dict[str, Any] = {
    "handle": "@me@example.social",
    "network": "fediverse",
    "limit": 500,
    "contact": _SAMPLE_CONTACT,
    "works": _SAMPLE_NOTE["works"],
    "page": _SAMPLE_NOTE["pages"][0],
    "quote": "A sentence.",
    "me": _SAMPLE_NOTE["me"],
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


@functools.lru_cache(maxsize=4)
def _thanks_writer(path: Path | None, stamp: float, cache: Path | None) -> ThanksWriter:
    return ThanksWriter(path, cache)


def thanks_writer(path: Path | None, cache: Path | None = None) -> ThanksWriter:
    """The public thank-you's writer, loaded once per template file and version of it (a
    report is made per build, and under `mkdocs serve` per rebuild); TemplateError naming
    `outreach.thanks_template` when it does not load."""
    try:
        stamp = path.stat().st_mtime if path is not None else 0.0
    except OSError:
        stamp = -1.0  # gone since the options were read: loading says so, naming the option
    return _thanks_writer(path, stamp, cache)
