"""Typed configuration of the plugin (a page's front matter is `page_options`).

Every option is a `mkdocs.config.config_options` item so that MkDocs reports a bad value with
the option's name before the build starts. Patterns are compiled here, once, so that the
collector never sees an invalid one. `settings` turns the options into each concern's
settings.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from typing import Any

import yaml
from mkdocs.config import base
from mkdocs.config import config_options as opt
from mkdocs.config.base import ValidationError
from yaml import YAMLError

from mkdocs_backlinks.ledger.people import PEOPLE_HOSTS, REFERENCE_SITES
from mkdocs_backlinks.mentions.model import RELAYS
from mkdocs_backlinks.option_types import (
    REL_VALUES,
    CaBundle,
    DefaultedDomains,
    DomainPatterns,
    MentionSources,
    NetworkList,
    Number,
    PagePatterns,
    PositiveNumber,
    Proxy,
    RegexList,
    RelativeFile,
    SiteAliases,
    WholeNumber,
)

_UNKNOWN_SUB_OPTION = re.compile(r"Sub-option '([^']*)': Unrecognised configuration name")


class StringsConfig(base.Config):
    """Headings and labels of the rendered sections.

    Each one left unset is in the site's language (`theme.language`, or the theme's `locale`),
    from `sections.locales`, English where the plugin ships no translation; each one set here
    wins over the language's. None means unset, which is how the two are told apart.
    """

    credits_title = opt.Optional(opt.Type(str))
    """Heading of the section listing the outside works a page links to. In English:
    "Works cited"."""

    backlinks_title = opt.Optional(opt.Type(str))
    """Heading of the section listing this site's pages that link to the page. In English:
    "Pages that link here"."""

    section_separator = opt.Optional(opt.Type(str))
    """Placed between a citing page's title and the title of the section that links. In
    every shipped language: " \u203a ". On a site whose pages are otherwise plain ASCII, an
    ASCII one (" - ") keeps each page's HTML one byte a character in memory, which makes the
    build a little faster (see Performance)."""

    cited_times = opt.Optional(opt.Type(str))
    """Shown after a work the page links to more than once; `{count}` is replaced. In
    English: "cited {count} times"."""

    mentions_title = opt.Optional(opt.Type(str))
    """Sub-heading over other sites' mentions, inside the backlinks section. In English:
    "Elsewhere on the web"."""

    replied = opt.Optional(opt.Type(str))
    """After the author of a reply. In English: "replied"."""

    mentioned = opt.Optional(opt.Type(str))
    """After the author of a plain mention. In English: "mentioned this"."""

    rsvp = opt.Optional(opt.Type(str))
    """After the author of an RSVP; `{answer}` is yes, no, maybe or interested. In English:
    "RSVP {answer}"."""

    like = opt.Optional(opt.Type(str))
    """The count of likes when there is one; `{count}` is replaced. In English: "{count} like"."""

    likes = opt.Optional(opt.Type(str))
    """The count of likes when there are several (or none). In English: "{count} likes"."""

    repost = opt.Optional(opt.Type(str))
    """The count of reposts when there is one. In English: "{count} repost"."""

    reposts = opt.Optional(opt.Type(str))
    """The count of reposts when there are several. In English: "{count} reposts"."""

    bookmark = opt.Optional(opt.Type(str))
    """The count of bookmarks when there is one. In English: "{count} bookmark"."""

    bookmarks = opt.Optional(opt.Type(str))
    """The count of bookmarks when there are several. In English: "{count} bookmarks"."""

    someone = opt.Optional(opt.Type(str))
    """Stands in for an author who gave no name. In English: "Someone"."""

    by_author = opt.Optional(opt.Type(str))
    """Placed before a cited work's author. In English: "by"."""

    broken_label = opt.Optional(opt.Type(str))
    """Flags a cited work found broken at its last check: a 4xx other than 401/403, a
    redirect loop, or a host name that does not exist. In English: "link broken"."""

    gone_label = opt.Optional(opt.Type(str))
    """Flags a cited work whose site says it was removed (410). In English: "gone"."""

    more_entries = opt.Optional(opt.Type(str))
    """Summary of the folded rest of a long list (`max_entries`); `{count}` is replaced. In
    English: "{count} more"."""


class OutreachConfig(base.Config):
    """The "I mentioned you" notes and the relationship ledger."""

    enabled = opt.Type(bool, default=True)
    """Keep the ledger and write the outreach list after each build."""

    author = opt.Type(str, default="")
    """Your name in the notes; defaults to `site_author`."""

    author_url = opt.Type(str, default="")
    """Your site in the notes' signature; defaults to `site_url`."""

    sign_off = opt.Type(str, default="Thanks,")
    """The line before your name."""

    tone = opt.Choice(("friendly", "brief", "formal"), default="friendly")
    """Which wording the shipped note template uses."""

    note_template = opt.Optional(opt.File(exists=True))
    """A Jinja file (relative to mkdocs.yml) replacing the shipped note template."""

    thanks_template = opt.Optional(opt.File(exists=True))
    """A Jinja file (relative to mkdocs.yml) replacing the shipped public thank-you (the short
    post for a contact's social or fediverse profile)."""

    exclude_sites = DomainPatterns()
    """Sites never to contact (they stay in the ledger, not in the list)."""

    people_hosts = DefaultedDomains(default=PEOPLE_HOSTS)
    """Hosts where many people publish (code forges, blogging, video and social platforms,
    Mastodon instances): there the contact is the owner the path names (`github.com/octocat`),
    not the host, and the platform's own pages (`github.com/features`) are credited but not
    suggested for outreach. Each host is matched exactly (`github.com` is not
    `docs.github.com`). A list replaces the shipped one; put `defaults` in it to add to it
    instead."""

    reference_sites = DefaultedDomains(default=REFERENCE_SITES)
    """Sites credited on the pages but left out of the notes to send (encyclopedias, standards
    bodies, language and library documentation, Q&A sites, package registries); each covers
    its subdomains. A
    contact of theirs you marked (`sent`, `replied`, ...) stays listed. A list replaces the
    shipped one; put `defaults` in it to add to it instead; `[]` writes to every site."""

    done_statuses = opt.ListOfItems(
        opt.Choice(("pending", "sent", "replied", "linked-back", "skipped")),
        default=["sent", "replied", "linked-back", "skipped"],
    )
    """Statuses that mean nothing is left to do for a contact."""

    on_serve = opt.Type(bool, default=False)
    """Also update the ledger during `mkdocs serve` (off: drafts and half-edits stay out)."""


class MetadataConfig(base.Config):
    """Titles, authors, contact routes and link health of cited works, fetched during builds."""

    enabled = opt.Type(bool, default=True)
    """Learn about cited works (online) and show titles and authors in the credits."""

    ttl = Number(7, minimum=0)
    """Days a work's metadata is used from the cache before it is checked again (with a
    conditional request). 0 checks every build."""

    failure_ttl = Number(1, minimum=0)
    """Days a failed check (4xx, 5xx, 429) is trusted before the work is asked again."""

    on_serve = opt.Type(bool, default=False)
    """Also fetch under `mkdocs serve` (off: live reloads never touch the network)."""

    timeout = Number(10, minimum=0, exclusive=True)
    """Seconds one work may take: connect, redirects and body."""

    deadline = Number(60, minimum=0, exclusive=True)
    """Seconds the build waits for all works, counted from the first request; works not
    checked by then keep their stored metadata. A fetch still running then ends by its own
    `timeout`, so the process never outlives `deadline + timeout`."""

    concurrency = opt.Type(int, default=8)
    """Works fetched at once."""

    per_host = opt.Type(int, default=2)
    """Works fetched at once from one host, to stay polite. The others wait their turn, and
    the wait does not count against their `timeout`."""

    def validate(self) -> tuple[base.ConfigErrors, base.ConfigWarnings]:
        failed, warnings = super().validate()
        for name in ("concurrency", "per_host"):
            value = self.get(name)
            if isinstance(value, bool):  # YAML's true is an int to Python: 1 thread
                failed.append((name, ValidationError(f"Expected a whole number, not {value}.")))
            elif isinstance(value, int) and value < 1:
                failed.append((name, ValidationError(f"Expected at least 1, not {value}.")))
        return failed, warnings


class MentionsConfig(base.Config):
    """Incoming webmentions: where they come from and how they are shown."""

    enabled = opt.Type(bool, default=True)
    """Read the mentions store and show mentions (and fetch them when sources are set)."""

    sources = MentionSources()
    """Receivers: `{webmention_io: {domain, token_env}}`, `{jf2: URL}`, `{file: path}`."""

    aliases = SiteAliases()
    """Old domains or paths of the site; mentions of them count for the page under site_url."""

    relays = DomainPatterns(default=RELAYS)
    """Hosts whose webmention sources relay other people's posts (Bridgy's): only for these is
    a mention also credited to the site of the author it names, since any other page can
    claim any author. Each host matches its subdomains; `[]` trusts no relay."""

    avatars = opt.Choice(("remote", "none", "download"), default="remote")
    """`remote` links avatar images where they are, `none` shows none, `download` copies
    them (size-capped) into the built site so readers never load a third party."""

    fetch_on_build = opt.Type(bool, default=True)
    """Fetch new mentions during `mkdocs build` (never when offline)."""

    on_serve = opt.Type(bool, default=False)
    """Also fetch under `mkdocs serve` (off: a live-reload loop should not hit an API)."""

    timeout = PositiveNumber(default=30.0)
    """Seconds a build waits for fetching to finish before going on with the store."""

    max_page_mb = PositiveNumber(default=20.0)
    """Largest page of a feed, file source or imported file read, in megabytes (1,000,000
    bytes). A larger page is skipped with a warning while the pages around it are read."""

    excerpt_length = WholeNumber(300, minimum=20)
    """Longest reply shown whole; a longer one is cut to this many characters of text. At
    least 20: shorter, a reply is cut to a word or two."""


class BacklinksConfig(base.Config):
    """Options under `plugins: - backlinks:` in `mkdocs.yml`."""

    credits = opt.Type(bool, default=True)
    """Render the credits section (outside works the page cites) on each page."""

    backlinks = opt.Type(bool, default=True)
    """Render the backlinks section (pages of this site that link to the page)."""

    auto_append = opt.Type(bool, default=True)
    """Append the sections at the end of the content when the page has no placeholder comment.

    Turn it off when a theme places `{{ backlinks.credits_html }}` itself.
    """

    max_entries = WholeNumber(20, minimum=0)
    """Entries each list of a section shows (works cited, pages that link here, replies);
    the rest are folded into a `<details>` element under them. 0 shows every entry open.
    The export always holds every link."""

    stylesheet = opt.Type(bool, default=True)
    """Add the sections' stylesheet (`assets/stylesheets/backlinks.css`) to the site's
    `extra_css`. A file of yours at that path in docs_dir is used instead; turn this off to
    style the sections entirely yourself."""

    toc = opt.Type(bool, default=True)
    """List the sections' headings in the page's table of contents (the one themes draw
    beside the page, Material's included), where the sections stand among the page's own
    headings. Their permalinks follow the `toc` extension's settings either way: the same
    symbol as the page's headings, or none when they have none."""

    snippet_length = WholeNumber(240, minimum=20)
    """Upper bound, in characters, of the sentence stored around each link. At least 20:
    a shorter window cuts most sentences down to the anchor text alone."""

    ignore_rel = opt.ListOfItems(opt.Choice(REL_VALUES), default=list(REL_VALUES))
    """Links whose `rel` has any of these values are not tracked (paid or untrusted links)."""

    opt_out_class = opt.Type(str, default="no-backlinks")
    """A link with this CSS class (`[text](url){.no-backlinks}` with `attr_list`) is skipped."""

    exclude_domains = DomainPatterns()
    """Sites never tracked as citations: `example.com` also covers its subdomains."""

    exclude_urls = RegexList()
    """Regular expressions searched in the normalised URL of each outside link; a match skips it."""

    exclude_sources = PagePatterns()
    """Pages (gitignore-style patterns over source paths) whose links are not collected."""

    exclude_targets = PagePatterns()
    """Pages that never receive backlinks: links to them are not recorded."""

    export = opt.Type(bool, default=True)
    """Write the link graph as JSON into `site_dir`."""

    export_path = RelativeFile(default="backlinks.json")
    """Where the graph export goes, relative to `site_dir`."""

    strings = opt.SubConfig(StringsConfig)
    """Headings and labels; English by default."""

    data_dir = opt.Type(str, default="backlinks")
    """The data folder, relative to mkdocs.yml: the ledger and the outreach list. Commit it;
    it must not be inside docs_dir, where it would be published."""

    outreach = opt.SubConfig(OutreachConfig)
    """The outreach notes and ledger."""

    offline = opt.Type(bool, default=False)
    """Never touch the network: use what the data and cache folders hold. The environment
    variable MKDOCS_BACKLINKS_OFFLINE=1 does the same without editing mkdocs.yml."""

    allow_networks = NetworkList()
    """Private networks (CIDR) the plugin may connect to, say an intranet that pages cite.
    Loopback, private, link-local and reserved addresses are refused unless listed here, and
    a link to one of them (or to `localhost`, a dev server) is not counted as a citation."""

    ca_bundle = CaBundle()
    """CA bundle (PEM file, or folder) to verify TLS with, relative to mkdocs.yml; it replaces
    the bundled list. Unset: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE, else the
    list requests ships (certifi)."""

    proxy = Proxy()
    """A proxy for every request (`http://proxy:3128`), or `env` for the environment's
    HTTPS_PROXY / HTTP_PROXY. Unset, no proxy is used, whatever the environment says."""

    metadata = opt.SubConfig(MetadataConfig)
    """Titles, authors, contact routes and link health of cited works."""

    cache_dir = opt.Type(str, default=".cache/backlinks")
    """Disposable cache, relative to mkdocs.yml: HTTP answers, the plugin's templates as
    Jinja compiled them (each compiled again when its source changes), and the last graph
    export (copied into the site while no link, page or site URL it shows changed, and
    after an edit, copied entry by entry where the edit changed nothing). Not to
    be committed: deleting it only costs requests and a first build's work."""

    mentions = opt.SubConfig(MentionsConfig)
    """Incoming webmentions: sources, store, rendering."""

    def validate(self) -> tuple[base.ConfigErrors, base.ConfigWarnings]:
        """Turn MkDocs' 'unrecognised option' warnings into errors.

        A misspelt option would otherwise be ignored without `--strict`, and the user would
        wonder why their setting has no effect.
        """
        failed, warnings = super().validate()
        keep: base.ConfigWarnings = []
        for key, message in warnings:
            sub = _UNKNOWN_SUB_OPTION.match(message)
            unknown = message.startswith("Unrecognised configuration name")
            dotted = _dotted(key, self.get(key)) if unknown else None
            if dotted is not None:
                failed.append((key, dotted))
            elif unknown:
                hint = difflib.get_close_matches(key, list(self._schema_keys), n=1)
                extra = f" Did you mean '{hint[0]}'?" if hint else ""
                failed.append((key, ValidationError(f"Unknown option.{extra}")))
            elif sub and key in _SUB_CONFIGS:
                name = sub.group(1)
                names = [k for k, _ in _SUB_CONFIGS[key]._schema]
                hint = difflib.get_close_matches(name, names, n=1)
                extra = f" Did you mean '{hint[0]}'?" if hint else ""
                failed.append((key, ValidationError(f"Unknown option '{name}'.{extra}")))
            else:
                keep.append((key, message))
        return failed, keep


_SUB_CONFIGS: dict[str, type[base.Config]] = {
    "strings": StringsConfig,
    "outreach": OutreachConfig,
    "mentions": MentionsConfig,
    "metadata": MetadataConfig,
}


def _dotted(key: str, value: Any) -> ValidationError | None:
    """The error for `metadata.ttl: 30`, an option of a group written with a dot (the way
    documentation names it), showing the nested form mkdocs.yml needs; None for any other
    name. A misspelt option in the group is corrected in the example and named."""
    group, _, rest = key.partition(".")
    if group not in _SUB_CONFIGS or not rest:
        return None
    names = rest.split(".")
    known = [name for name, _ in _SUB_CONFIGS[group]._schema]
    note = ""
    if names[0] not in known:
        hint = difflib.get_close_matches(names[0], known, n=1)
        note = f"\n'{group}' has no option '{names[0]}'"
        note += f"; the example uses '{hint[0]}'." if hint else "."
        names[0] = hint[0] if hint else names[0]
    try:
        example = yaml.safe_dump(
            {"plugins": [{"backlinks": _nest([group, *names], value)}]},
            sort_keys=False,
            allow_unicode=True,
        )
    except YAMLError:  # a value MkDocs' loader made from a tag, such as `!relative`
        example = yaml.safe_dump({"plugins": [{"backlinks": _nest([group, *names], "...")}]})
    return ValidationError(
        "Options of a group are nested in mkdocs.yml, not written with a dot. Write instead:"
        f"\n\n{textwrap.indent(example.rstrip(), '    ')}{note}"
    )


def _nest(names: list[str], value: Any) -> Any:
    """`value` under each of `names` in turn: ["a", "b"], 1 gives {"a": {"b": 1}}."""
    for name in reversed(names):
        value = {name: value}
    return value
