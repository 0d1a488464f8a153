"""Who a cited work belongs to: a site, or a person on a site where many people publish.

A note to "github.com" reaches no one: a repository's owner is the person to thank. On the
hosts in `PEOPLE_HOSTS` (code forges, blogging platforms, video and social networks, Mastodon
instances) the contact is the owner the path names (`github.com/octocat`); everywhere else it
is the site, as it always was (a `*.github.io` host is already one person's). Reference sites
(`REFERENCE_SITES`: encyclopedias, standards bodies, language and library documentation) are
credited on the pages but written to by no one, since no one there waits for a thank-you.

Both lists are options (`outreach.people_hosts`, `outreach.reference_sites`); these are their
defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from mkdocs_backlinks.links.urls import domain_matches, site_of

PEOPLE_HOSTS = (
    # code forges
    "github.com", "gist.github.com", "gitlab.com", "codeberg.org", "bitbucket.org",
    "git.sr.ht", "sr.ht", "huggingface.co",
    # writing and video platforms
    "medium.com", "dev.to", "hashnode.com", "substack.com", "youtube.com", "vimeo.com",
    "twitch.tv", "speakerdeck.com", "slideshare.net", "observablehq.com", "codepen.io",
    "patreon.com", "ko-fi.com", "linkedin.com",
    # social networks
    "x.com", "twitter.com", "bsky.app", "threads.net", "instagram.com", "tiktok.com",
    "reddit.com",
    # Mastodon and other fediverse instances
    "mastodon.social", "mastodon.online", "mstdn.social", "fosstodon.org", "hachyderm.io",
    "infosec.exchange", "indieweb.social", "social.coop", "mas.to", "techhub.social",
    "toot.cafe", "chaos.social", "mathstodon.xyz", "sigmoid.social", "ruby.social",
    "front-end.social", "pixelfed.social",
)  # fmt: skip
"""Hosts where many people publish, each under a path of their own."""

REFERENCE_SITES = (
    # encyclopedias and dictionaries
    "wikipedia.org", "wikimedia.org", "wikidata.org", "wiktionary.org", "britannica.com",
    "archive.org",
    # standards bodies and registries
    "w3.org", "whatwg.org", "ietf.org", "rfc-editor.org", "iana.org", "iso.org",
    "ecma-international.org", "unicode.org", "json-schema.org",
    # language, platform and library documentation
    "developer.mozilla.org", "docs.python.org", "peps.python.org", "doc.rust-lang.org",
    "docs.rs", "pkg.go.dev", "go.dev", "docs.oracle.com", "learn.microsoft.com",
    "developer.apple.com", "en.cppreference.com", "man7.org", "caniuse.com",
    # question and answer sites
    "stackoverflow.com", "stackexchange.com", "superuser.com", "serverfault.com",
    "askubuntu.com", "mathoverflow.net",
    # package registries: a package's page names no one; its project's own site does
    "pypi.org", "npmjs.com", "crates.io", "rubygems.org", "packagist.org", "nuget.org",
)  # fmt: skip
"""Sites that are credited but not suggested for outreach: no one there is waiting to hear."""

# Path words that name a place on the platform, not someone on it.
_NOT_OWNERS = frozenset(
    {
        "", "about", "explore", "search", "settings", "login", "signup", "join", "pricing",
        "features", "topics", "marketplace", "trending", "collections", "home", "i", "intent",
        "share", "hashtag", "hashtags", "tags", "tag", "t", "watch", "results", "feed",
        "notifications", "help", "policies", "terms", "privacy", "site", "blog", "docs",
        "shorts", "playlist", "embed", "status", "statuses", "public", "web", "en", "new",
        "p", "discover", "readme", "apps", "projects",
    }
)  # fmt: skip
# Path words followed by the owner's name (`bsky.app/profile/NAME`, `youtube.com/c/NAME`).
_BEFORE_OWNER = frozenset(
    {"profile", "in", "c", "channel", "user", "users", "u", "orgs", "sponsors", "project",
     "package", "packages", "r", "company", "school"}
)  # fmt: skip
# Names whose case matters (YouTube channel ids); every other owner is case-insensitive.
_CASE_KEPT = frozenset({"channel"})


def owner_path(url: str) -> str:
    """The owner part of `url`'s path on a platform (`octocat`, `@adactio`, `profile/x.bsky`),
    '' when the path names no one (the platform's own pages)."""
    parts = [unquote(p) for p in urlsplit(url).path.split("/") if p]
    if not parts:
        return ""
    first = parts[0]
    if first.lower() in _BEFORE_OWNER and len(parts) > 1 and parts[1]:
        owner = parts[1] if first.lower() in _CASE_KEPT else parts[1].lower()
        # `orgs/x` and `sponsors/x` are x's own pages; the others keep their prefix.
        return owner if first.lower() in ("orgs", "sponsors") else f"{first.lower()}/{owner}"
    if first.lower() in _NOT_OWNERS or first.startswith((".", "?")):
        return ""
    return first.lower()


def contact_key(url: str, people_hosts: tuple[str, ...] = PEOPLE_HOSTS) -> str:
    """The contact a cited work belongs to: `site/owner` on a people host whose path names an
    owner, else the site (host without `www.`).

    A people host is matched exactly: `docs.github.com` and `help.github.com` are the
    platform's own documentation, whose first path word names a section, not a person.
    """
    site = site_of(url)
    if site not in people_hosts:
        return site
    owner = owner_path(url)
    return f"{site}/{owner}" if owner else site


def contact_keys(people_hosts: tuple[str, ...]) -> Callable[[str], str]:
    """`contact_key` with these hosts, remembered per URL (works repeat across builds)."""
    return functools.lru_cache(maxsize=16384)(
        functools.partial(contact_key, people_hosts=people_hosts)
    )


def is_person_key(contact_id: str) -> bool:
    """Whether the contact is a person on a platform (`github.com/octocat`), not a site."""
    return "/" in contact_id


def name_from_key(contact_id: str) -> str:
    """The name a platform contact goes by, from its path: `octocat`, `adactio` for `@adactio`,
    '' for a site or an id (a YouTube channel)."""
    if not is_person_key(contact_id):
        return ""
    owner = contact_id.partition("/")[2]
    prefix, _, rest = owner.partition("/")
    if rest:
        if prefix == "channel":
            return ""
        owner = rest
    return owner.lstrip("@~")


def home_of(contact_id: str) -> str:
    """The contact's own page: the site's home, or the owner's page on the platform."""
    return f"https://{contact_id}/" if not is_person_key(contact_id) else f"https://{contact_id}"


def is_reference(
    contact_id: str, reference_sites: tuple[str, ...], people_hosts: tuple[str, ...] = ()
) -> bool:
    """Whether the contact is one to credit but not to write to: a reference site's, or a
    platform's own pages (`github.com/features`, kept as the contact `github.com`), where no
    one person waits for a thank-you."""
    site = contact_id.partition("/")[0]
    return domain_matches(site, reference_sites) or contact_id in people_hosts
