"""Whom a note speaks to, and by which name: a person, an organisation, or someone unknown.

People write "Hi Jeremy," not "Hi Jeremy Keith,", and a note that goes to a mailing list or a
shared inbox (`public-socialweb@w3.org`, `info@`) greets the organisation, not the one author
whose name the cited page carries: that author is named beside the work instead, so the note
still says whose work it is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from mkdocs_backlinks.ledger.people import home_of, is_person_key, name_from_key
from mkdocs_backlinks.works.clean import author_name

# Local parts (before the @) of addresses that reach a group or a shared inbox.
_SHARED_LOCAL = re.compile(
    r"^(?:info|team|contact|contacts|hello|hi|hey|press|media|support|admin|office|webmaster|"
    r"editor|editors|feedback|mail|news|newsletter|list|lists|help|sales|community|general|"
    r"enquiries|inquiries|staff|all|everyone|board|members|postmaster|noreply|no-reply|"
    r"public-.+|.+-(?:request|discuss|announce|dev|devel|users|list|l|wg|cg|ig))$"
)
_LIST_DOMAIN = re.compile(r"^(?:lists|list|groups|googlegroups|mailman)\.|googlegroups\.com$")

# Words that make a name an organisation's rather than a person's.
_ORG_WORDS = frozenset(
    {
        "inc", "inc.", "llc", "ltd", "ltd.", "gmbh", "foundation", "project", "team", "group",
        "community", "consortium", "university", "society", "association", "institute", "labs",
        "lab", "collective", "contributors", "wiki", "authors", "editors", "press", "company",
        "corporation", "corp", "corp.", "council", "committee", "initiative", "organization",
        "organisation", "network", "school", "museum", "library", "agency", "studio", "magazine",
        "journal", "news", "blog", "docs", "documentation", "the",
    }
)  # fmt: skip
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,7}$")
_HONORIFICS = frozenset({"dr", "dr.", "prof", "prof.", "mr", "mr.", "ms", "ms.", "mrs", "mrs."})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "esq"})
_AROUND_WORD = ".,;:!?\"'()[]{}<>"


@dataclass(frozen=True, slots=True)
class Addressee:
    """Who the note is for: `kind` is person, organisation or unknown; `greet` the name to
    greet by ('' when unknown), `name` the full name, `organisation` the group's name."""

    kind: str
    name: str
    greet: str
    organisation: str

    def as_dict(self, contact_id: str, site: str) -> dict[str, Any]:
        """The `contact` the note templates get."""
        return {
            "id": contact_id,
            "site": site,
            "name": self.name,
            "greet": self.greet,
            "kind": self.kind,
            "organisation": self.organisation,
            "home": home_of(contact_id),
        }


def is_shared_address(address: str) -> bool:
    """Whether an e-mail address reaches a list or a shared inbox rather than one person."""
    local, _, domain = address.strip().lower().removeprefix("mailto:").partition("@")
    return bool(_SHARED_LOCAL.match(local) or _LIST_DOMAIN.search(domain))


def looks_like_organisation(name: str) -> bool:
    """Whether `name` is an organisation's (`W3C`, `The IndieWeb Community`, `Acme Inc.`)."""
    words = name.split()
    if not words:
        return False
    if len(words) == 1 and _ACRONYM.match(words[0]):
        return True
    return any(word.lower().strip(",") in _ORG_WORDS for word in words)


def given_name(name: str) -> str:
    """The name a person goes by: the first word of a full name, past any honorific, or the
    word after the comma of "Doe, Jane"; '' when no word of it is a name (the note then
    greets "there")."""
    last, comma, first = name.partition(",")
    if comma and "," not in first and first.strip().lower() not in _SUFFIXES:
        name = first if first.strip() else last  # "Doe, Jane"; not "Jane Doe, Jr."
    for word in name.split():
        word = word.strip(_AROUND_WORD)
        lowered = word.lower()
        if lowered in _HONORIFICS or lowered in _SUFFIXES:  # stripped of its full stop
            continue
        if any(char.isalpha() for char in word):
            return word
    return ""


def addressee(
    contact_id: str,
    site: str,
    name: str,
    address: str,
    site_names: list[str],
) -> Addressee:
    """Who a note to this contact speaks to.

    `name` is the best name known (the author's choice, else the one author the cited works
    name); `address` the e-mail the note goes to ('' for none); `site_names` what the cited
    works call their site. A shared address or an organisation's name is greeted as the
    organisation; a platform account without a better name by its handle.
    """
    name = author_name(name) or ""  # a name stored before it was cleaned
    organisation = _organisation(name, site, site_names)
    if address and is_shared_address(address):
        return Addressee("organisation", name, organisation, organisation)
    if name and looks_like_organisation(name):
        return Addressee("organisation", name, name, name)
    if name:
        return Addressee("person", name, given_name(name), "")
    if is_person_key(contact_id):
        handle = name_from_key(contact_id)
        if handle:
            return Addressee("person", handle, handle, "")
    return Addressee("unknown", "", "", "")


def _organisation(name: str, site: str, site_names: list[str]) -> str:
    """The organisation's name: the name the works give their site when they agree on one,
    else an organisation's own name, else the site."""
    counted = Counter(n for n in site_names if n)
    if counted:
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[0][0]
    if name and looks_like_organisation(name):
        return name
    return site
