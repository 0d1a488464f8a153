"""The MkDocs hooks. Each one hands what MkDocs gives it to the object of one concern.

Event order this relies on (see `mkdocs/commands/build.py`): `on_files` knows every page;
each page is then converted (`on_page_markdown`, Markdown with our tree processor,
`on_page_content`); only after every page is converted does `on_env` run and the templates
render (`on_page_context`). So links are collected during conversion and the sections, which
need the whole graph, are rendered in `on_page_context`.

One object a concern, made in `on_config` from the options by the adapters in `config.py`:
`links` (the collector), `graph` (who links to whom), `sections`, `works` (what cited works
say), `mentions` (incoming webmentions) and `outreach` (the ledger and lists). Data passes
between them here, as arguments, and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from mkdocs_backlinks.companions import (
    is_blog_index,
    is_generated,
    language_folder,
    nav_files,
    page_aliases,
)
from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.graph.export import write_export
from mkdocs_backlinks.graph.linkgraph import LinkGraph, cited_urls
from mkdocs_backlinks.graph.page_info import page_info
from mkdocs_backlinks.links.autorefs import PendingRef, autorefs_lookup, place_refs, resolve_refs
from mkdocs_backlinks.links.collect import LinkCollector, ReadPage
from mkdocs_backlinks.links.urls import SiteMap
from mkdocs_backlinks.page_options import PageOptionsError, page_options
from mkdocs_backlinks.sections.pages import Sections
from mkdocs_backlinks.sections.render import STYLESHEET, STYLESHEET_URI, TEMPLATES_DIR
from mkdocs_backlinks.settings import (
    configured_site_url,
    http_options,
    is_offline,
    link_rules,
    mentions_settings,
    metadata_settings,
    outreach_desk,
    section_settings,
    site_paths,
)
from mkdocs_backlinks.works.model import WorkMeta

if TYPE_CHECKING:
    # Each feature's modules are imported where the feature is set up, so a build with it off
    # never loads them (`config.py` does the same).
    from mkdocs_backlinks.mentions.desk import MentionsDesk
    from mkdocs_backlinks.outreach.desk import OutreachDesk
    from mkdocs_backlinks.works.resolver import WorkResolver

log = get_plugin_logger(__name__)

PAGES_PER_BATCH = 32
"""Converted pages whose links are resolved and graphed together (`_add_converted`)."""


class BacklinksPlugin(BasePlugin[BacklinksConfig]):
    """Tracks citations and internal links, renders credits and backlinks, exports the graph."""

    def __init__(self) -> None:
        self.command = "build"
        self.dirty = False
        self.graph = LinkGraph()
        self._reset()

    def _reset(self) -> None:
        # Everything derived from one build. `mkdocs serve` keeps this instance across
        # rebuilds (we define on_startup), so each build starts from nothing: a link removed
        # in an edit must not survive as a stale backlink. The last build's graph is closed
        # only now, not when that build ended, so section data a theme or another plugin kept
        # (`PageSections`) could read from it until then.
        self.graph.close()
        self.graph = LinkGraph()
        self.links: LinkCollector | None = None
        self.sections: Sections | None = None
        self.works: WorkResolver | None = None
        self.metadata: dict[str, WorkMeta] = {}
        self.mentions: MentionsDesk | None = None
        self.outreach: OutreachDesk | None = None
        self.site_url: str | None = None
        self.nav_files: frozenset[str] = frozenset()
        self.refs: dict[str, list[PendingRef]] = {}
        """Per page, its mkdocs-autorefs cross-references, resolved in `on_env`."""
        self._converted: list[tuple[Page, ReadPage | None]] = []
        """Pages converted and not yet in the graph, with what was read of their links."""
        self._batch = PAGES_PER_BATCH

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Remember whether this is `serve`, where later layers must stay off the network,
        and whether builds are `--dirty` (`serve --dirty` too), which convert only the pages
        whose source changed: the graph then holds those pages alone."""
        self.command = command
        self.dirty = dirty

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self._reset()
        options = self.config
        # Under serve, MkDocs has put the dev server's address in site_url: links written
        # against the real one must stay internal, as the build that publishes them sees them.
        self.site_url = configured_site_url(config)
        self.links = LinkCollector(SiteMap((), self.site_url), link_rules(options))
        # What a page links to is kept for the features that read it, which are those that
        # keep outside links too (credits, export, metadata, outreach); backlinks alone
        # need only what links to each page.
        self.graph.outbound = self.links.rules.outside_links
        # MkDocs builds a Markdown instance per page from this list, so our tree processor
        # runs inside every page's conversion.
        config.markdown_extensions.append(self.links.extension())  # type: ignore[arg-type]
        # Appended, not prepended: a `backlinks/*.html` in the user's custom_dir or theme wins.
        config.theme.dirs.append(str(TEMPLATES_DIR))
        self.sections = Sections(section_settings(options, config))
        # The file itself is added in on_files; a user's own file at that path wins there.
        if options.stylesheet and STYLESHEET_URI not in config.extra_css:
            config.extra_css.append(STYLESHEET_URI)
        if options.metadata.enabled:
            from mkdocs_backlinks.works.resolver import WorkResolver

            metadata = metadata_settings(options, config, self.command)
            self.works = WorkResolver(metadata, site_paths(options, config).cache)
        try:  # each ValueError's message starts with the option's name
            if options.outreach.enabled and (self.command != "serve" or options.outreach.on_serve):
                self.outreach = outreach_desk(options, config)
            if self.outreach is not None and language_folder(config):
                # static-i18n builds each language apart: a translation's build would mark
                # the works only the default language cites as no longer cited.
                log.info("Outreach: the ledger records the default language's build only")
                self.outreach = None
            if options.mentions.enabled:
                from mkdocs_backlinks.mentions.desk import MentionsDesk

                inbox = mentions_settings(options, config)
                self.mentions = MentionsDesk(inbox, http_options(options))
        except ValueError as exc:
            raise PluginError(f"Plugin 'backlinks' option {exc}") from exc
        return config

    @property
    def _may_fetch(self) -> bool:
        """Whether this build may fetch mentions: asked for, not offline, not serve (unless
        `mentions.on_serve`), so a live-reload loop never hits an API unasked."""
        mentions = self.config.mentions
        if not mentions.fetch_on_build or (self.command == "serve" and not mentions.on_serve):
            return False
        # Decided without the HTTP layer, whose import (requests, ssl) an offline build skips.
        return bool(mentions.sources) and not is_offline(self.config)

    @property
    def _writes_data(self) -> bool:
        """Under serve, the data folder is written only when the user asked for network use
        there too; otherwise a fetch cannot have happened, and files stay as they are."""
        return self.command != "serve" or self.config.mentions.on_serve

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Read the ledger first: a damaged one stops the build before anything is built.

        The metadata it stores is what the credits show offline; without outreach the ledger
        is still read for it (never written), so a committed one keeps its titles.
        """
        if self.outreach is not None:
            from mkdocs_backlinks.ledger.model import LedgerError

            try:
                self.outreach.load(metadata=self.works is not None)
            except LedgerError as exc:
                raise PluginError(str(exc)) from exc
        if self.works is not None:
            from mkdocs_backlinks.works.resolver import stored_metadata

            stored = (
                self.outreach.stored
                if self.outreach is not None
                else stored_metadata(site_paths(self.config, config).ledger)
            )
            self.works.start(stored)
        if self.mentions is not None:
            from mkdocs_backlinks.mentions.model import MentionsError

            try:
                self.mentions.load()
            except MentionsError as exc:
                raise PluginError(str(exc)) from exc
            # Started now, so the requests overlap the conversion of every page.
            if self._may_fetch:
                self.mentions.start()

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """Add the stylesheet as a generated file, so `build` writes it and `serve` serves
        it; a file of the user's at the same path is theirs to keep."""
        if self.config.stylesheet and files.get_file_from_path(STYLESHEET_URI) is None:
            files.append(File.generated(config, STYLESHEET_URI, abs_src_path=str(STYLESHEET)))
        return files

    # Late: the last hook before any page converts, after every plugin that adds, hides or
    # renames pages. Material's blog reveals its posts (at their final URLs) only in its own
    # on_nav (-50), and static-i18n swaps a language's files in at -100.
    @event_priority(-110)
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        assert self.links is not None
        pages = [(f.src_uri, f.url) for f in files.documentation_pages()]
        self.links.site = SiteMap(
            pages, self.site_url, page_aliases(files, config), self.config.allow_networks
        )
        self.nav_files = nav_files(config)
        return nav

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        assert self.links is not None and self.sections is not None
        src = page.file.src_uri
        try:
            options = page_options(page.meta, src)
        except PageOptionsError as exc:
            raise PluginError(str(exc)) from exc
        self.sections.remember(src, credits=options.credits, backlinks=options.backlinks)
        track = (
            options.track
            and not self.config.exclude_sources.match_file(src)
            and not is_generated(page)
            and src.rpartition("/")[2] not in self.nav_files
        )
        self.links.start_page(src if track else None)
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.links is not None
        read = self.links.finish_page()
        if is_generated(page):
            return html  # a page another plugin made from other pages: not one of ours
        self._converted.append((page, read))
        if len(self._converted) >= self._batch:
            self._add_converted()
        return html

    def _add_converted(self) -> None:
        """Resolve the links of the pages converted since the last call and add the pages to
        the graph, a batch of pages at a time.

        A page at a time, MkDocs' conversion of the next page evicted this code and its data
        from the processor's caches before it ran again; a batch pays that once
        (docs/performance.md). Nothing reads the graph before `on_env`, which adds the last
        batch first. A batch holds at most a few hundred blocks a page: a longer page was
        resolved a chunk at a time while it was read.
        """
        assert self.links is not None
        converted, self._converted = self._converted, []
        for page, read in converted:
            links, refs = self.links.resolve(read) if read is not None else ([], [])
            ids = read.ids if read is not None else None
            info = page_info(page, links, (ref.section for ref in refs), ids)
            # A page with cross-references is read back once they resolve (`_resolve_refs`).
            self.graph.add_page(info, links, outbound=True if refs else None)
            if refs:
                self.refs[page.file.src_uri] = refs
            if self.works is not None:
                # Fetching starts now, while the other pages convert.
                self.works.want(cited_urls(links))

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Every page is converted: collect what was learned about cited works (within
        `metadata.deadline`) and the mentions, before the first section renders."""
        assert self.links is not None and self.sections is not None
        self._add_converted()
        self._batch = 1  # a page another plugin converts from now on is added at once
        self.sections.start(env.loader)
        if self.refs:
            self._resolve_refs(config)
        self.links.conversion_done()
        if self.works is not None:
            self.metadata = self.works.collect(self.graph)
            self.works.close()
        if self.mentions is not None:
            page_urls = self.links.site.pages.values()
            for warning in self.mentions.collect(page_urls, save=self._writes_data):
                log.warning(warning)
            self.mentions.prepare_views(
                dict(self.sections.settings.strings or {}),
                self.config.mentions.excerpt_length,
                allow_network=self._may_fetch,
            )
        return env

    def _resolve_refs(self, config: MkDocsConfig) -> None:
        """Turn each page's autorefs cross-references into links, now that every page (and
        every object mkdocstrings rendered) has told autorefs where its anchors are. The
        page is recorded again, with the resolved links where they were written."""
        assert self.links is not None
        lookup = autorefs_lookup(config.plugins.get("autorefs"), self.links.site)
        if lookup is None:
            log.warning(
                "mkdocs-autorefs cross-references are not recorded as links: this autorefs "
                "has no get_item_url (mkdocs-autorefs 1.2 or newer has)"
            )
        else:
            excluded = self.links.excluded_targets
            for src, refs in self.refs.items():
                placed = resolve_refs(refs, lookup, self.links.site, excluded)
                if placed and src in self.graph.pages:
                    rows = place_refs(self.graph.links_from(src), placed)
                    self.graph.add_page(self.graph.pages[src], rows)
        self.refs = {}

    # Late, so other plugins have finished editing the content before we mark its end.
    @event_priority(-50)
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        assert self.sections is not None
        if is_generated(page):
            return context
        src = page.file.src_uri
        mentions = None
        if self.mentions is not None and self.sections.wants_mentions(src):
            mentions = self.mentions.shown_on(page.url)
        sections = self.sections.render(
            self.graph,
            src,
            page.url,
            metadata=self.metadata,
            mentions=mentions,
            content=page.content or "",
        )
        # Only a marker goes into page.content: MkDocs keeps every page's content until the
        # build ends, so the sections themselves are pasted into the page's final HTML in
        # on_post_page and freed once it is written. Search indexes and feeds read
        # page.content and so never see the sections, which are navigation, not content.
        page.content = self.sections.mark(page.content or "", append=not is_blog_index(page))
        # Themes draw the table of contents from page.toc after this hook.
        self.sections.list_headings(page.toc, page.content, sections)
        context["backlinks"] = sections  # type: ignore[typeddict-unknown-key]
        return context

    # Early: before other plugins post-process the HTML. An HTML minifier (which runs here at
    # the default priority) strips comments, and with them our placeholders.
    @event_priority(50)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        assert self.sections is not None
        return self.sections.place(page.file.src_uri, output)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.dirty:
            # A partial graph: written out, the export would list these pages alone and the
            # ledger would take every work they do not cite as no longer cited.
            log.info(
                "A --dirty build converts only the pages that changed: their sections show "
                "the links of those pages alone, and the graph export and the outreach ledger "
                "are left as the last full build wrote them."
            )
            return
        pages, internal, citations = self.graph.counts()
        if self.config.export:
            name = language_folder(config) + self.config.export_path
            write_export(
                self.graph,
                Path(config.site_dir) / name,
                self.site_url,
                cache=site_paths(self.config, config).cache / "export",
                name=name,
            )
        summary = f"{pages} pages, {internal} internal links"
        if self.links is not None and self.links.rules.outside_links:
            summary += f", {citations} citations"
        if self.mentions is not None:
            self.mentions.copy_avatars(Path(config.site_dir))
            shown = sum(len(found) for found in self.mentions.by_page.values())
            if shown or self.mentions.store.mentions:
                summary += f", {shown} mentions shown"
        if self.outreach is not None:
            summary += "; " + self._record_outreach(config)
        log.info(summary)

    def _record_outreach(self, config: MkDocsConfig) -> str:
        """Record the build's citations in the ledger; the log line's outreach part."""
        assert self.outreach is not None
        from mkdocs_backlinks.ledger.model import LedgerError
        from mkdocs_backlinks.outreach.desk import ObservedCitations

        # Who mentions us joins the relationships view; a told contact that did becomes
        # linked-back.
        mentions = self.mentions.sites() if self.mentions is not None else None
        try:
            observed = ObservedCitations(self.graph, self.site_url)
            metadata = self.metadata if self.works is not None else None
            summary = self.outreach.record(observed, metadata, mentions=mentions)
        except ValueError as exc:  # a note or thank-you template that fails on real data
            option = getattr(exc, "option", "note_template")
            message = f"Plugin 'backlinks' option 'outreach.{option}': {exc}"
            raise PluginError(message) from exc
        except LedgerError as exc:  # the ledger was damaged after on_pre_build checked it
            raise PluginError(str(exc)) from exc
        except OSError as exc:  # a full disk, a read-only or odd data folder
            folder = self.outreach.folder
            raise PluginError(f"Plugin 'backlinks': cannot write {folder}: {exc}") from exc
        lists = _shown(self.outreach.folder / "outreach.html")
        return (
            f"{summary['new_contacts']} new contacts, {summary['to_do']} notes to send: "
            f"review {lists}"
        )

    def on_build_error(self, *, error: Exception) -> None:
        """A failed build leaves no fetch running behind it (under serve, the next rebuild
        starts its own), and no link rows in a temporary file."""
        self._converted = []
        self.graph.close()
        if self.mentions is not None:
            self.mentions.stop()
        if self.works is not None:
            self.works.close()

    def on_shutdown(self) -> None:
        self.graph.close()
        if self.works is not None:
            self.works.close()


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
