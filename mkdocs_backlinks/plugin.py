"""The MkDocs hooks. Each one hands its inputs to the objects that do the work.

Event order this relies on (see `mkdocs/commands/build.py`): `on_files` knows every page;
each page is then converted (`on_page_markdown`, Markdown with our tree processor,
`on_page_content`); only after every page is converted does `on_env` run and the templates
render (`on_page_context`). So links are collected during conversion and the sections, which
need the whole graph, are placed in `on_page_context`.
"""

from __future__ import annotations

from dataclasses import replace
from html import unescape
from pathlib import Path

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils.templates import TemplateContext

from mkdocs_backlinks.config import BacklinksConfig, PageOptions, PageOptionsError, page_options
from mkdocs_backlinks.files import write_text_atomic
from mkdocs_backlinks.graph.linkgraph import LinkGraph, PageInfo, cited_urls, sections_linking_in
from mkdocs_backlinks.http.options import cache_folder, http_options, offline_from_env
from mkdocs_backlinks.ledger.ledger import LedgerError, WorkMeta
from mkdocs_backlinks.links.collect import LinkCollector, Rules
from mkdocs_backlinks.links.urls import SiteMap
from mkdocs_backlinks.mentions.desk import MentionsDesk, Views
from mkdocs_backlinks.mentions.desk import settings_for as mentions_settings
from mkdocs_backlinks.mentions.store import MentionsError
from mkdocs_backlinks.outreach.desk import LEDGER_FILE, ObservedCitations, OutreachDesk, data_folder
from mkdocs_backlinks.sections.render import (
    TEMPLATES_DIR,
    PageSections,
    SectionRenderer,
    fill,
    mark_end,
)
from mkdocs_backlinks.works.resolver import MetadataSettings, WorkResolver, stored_metadata

log = get_plugin_logger(__name__)


class BacklinksPlugin(BasePlugin[BacklinksConfig]):
    """Tracks citations and internal links, renders credits and backlinks, exports the graph."""

    def __init__(self) -> None:
        self.command = "build"
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
        self.collector: LinkCollector | None = None
        self.renderer: SectionRenderer | None = None
        self.page_options: dict[str, PageOptions] = {}
        self.pending: dict[str, PageSections] = {}  # rendered, waiting for on_post_page
        self.desk: OutreachDesk | None = None
        self.inbox: MentionsDesk | None = None
        self.views: Views | None = None
        self.page_urls: list[str] = []
        self.works: WorkResolver | None = None
        self.work_meta: dict[str, WorkMeta] = {}

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Remember whether this is `serve`, where later layers must stay off the network."""
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self._reset()
        rules = Rules(
            ignore_rel=frozenset(self.config.ignore_rel),
            opt_out_class=self.config.opt_out_class,
            exclude_domains=self.config.exclude_domains,
            exclude_urls=self.config.exclude_urls,
            excluded_target=self.config.exclude_targets.match_file,
            snippet_length=self.config.snippet_length,  # at least 20: config.WholeNumber
        )
        self.collector = LinkCollector(SiteMap((), config.site_url), rules)
        # MkDocs builds a Markdown instance per page from this list, so our tree processor
        # runs inside every page's conversion.
        config.markdown_extensions.append(self.collector.extension())  # type: ignore[arg-type]
        # Appended, not prepended: a `backlinks/*.html` in the user's custom_dir or theme wins.
        config.theme.dirs.append(str(TEMPLATES_DIR))
        if self.config.metadata.enabled:
            metadata = MetadataSettings.for_config(self.config, config, self.command)
            self.works = WorkResolver(metadata, cache_folder(self.config, config))
        outreach = self.config.outreach
        if outreach.enabled and (self.command != "serve" or outreach.on_serve):
            try:
                self.desk = OutreachDesk.for_config(self.config, config)
            except ValueError as exc:  # the message names the option
                raise PluginError(f"Plugin 'backlinks' option {exc}") from exc
        if self.config.mentions.enabled:
            try:
                settings = mentions_settings(self.config, config)
            except ValueError as exc:
                raise PluginError(f"Plugin 'backlinks' option {exc}") from exc
            self.inbox = MentionsDesk(settings, http_options(self.config))
        return config

    @property
    def _may_fetch(self) -> bool:
        """Whether this build may fetch mentions: asked for, not offline, not serve (unless
        `mentions.on_serve`), so a live-reload loop never hits an API unasked."""
        mentions = self.config.mentions
        if not mentions.fetch_on_build or (self.command == "serve" and not mentions.on_serve):
            return False
        assert self.inbox is not None
        # Decided without the HTTP layer, whose import (requests, ssl) an offline build skips.
        return bool(mentions.sources) and not (self.inbox.http.offline or offline_from_env())

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Read the ledger first: a damaged one stops the build before anything is built.

        The metadata it stores is what the credits show offline; without outreach the ledger
        is still read for it (never written), so a committed one keeps its titles.
        """
        if self.desk is not None:
            try:
                self.desk.load(metadata=self.works is not None)
            except LedgerError as exc:
                raise PluginError(str(exc)) from exc
        if self.works is not None:
            ledger = data_folder(self.config, config) / LEDGER_FILE
            self.works.start(self.desk.stored if self.desk else stored_metadata(ledger))
        if self.inbox is not None:
            try:
                self.inbox.load()
            except MentionsError as exc:
                raise PluginError(str(exc)) from exc
            # Started now, so the requests overlap the conversion of every page.
            if self._may_fetch:
                self.inbox.start()

    # Late, after other plugins have added or removed pages, so the site map is final.
    @event_priority(-50)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.collector is not None
        pages = [(f.src_uri, f.url) for f in files.documentation_pages()]
        self.collector.site = SiteMap(pages, config.site_url)
        self.page_urls = [url for _, url in pages]
        return files

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        src = page.file.src_uri
        try:
            options = page_options(page.meta, src)
        except PageOptionsError as exc:
            raise PluginError(str(exc)) from exc
        self.page_options[src] = options
        excluded = self.config.exclude_sources.match_file(src)
        assert self.collector is not None
        self.collector.start_page(src if options.track and not excluded else None)
        return markdown

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        assert self.collector is not None
        links = self.collector.finish_page()
        src = page.file.src_uri
        # Only the sections this page links from are ever named (in the backlinks of the
        # pages it links to), so only their titles are kept, not every heading of the page
        # until the build ends.
        linking = sections_linking_in(links)
        sections = _section_titles(page, linking) if linking else {}
        info = PageInfo(src, page.url, _page_title(page), sections)
        self.graph.add_page(info, links)
        if self.works is not None:
            # Fetching starts now, while the other pages convert.
            self.works.want(cited_urls(links))
        return html

    def on_env(self, env: Environment, *, config: MkDocsConfig, files: Files) -> Environment:
        """Every page is converted: collect what was learned about cited works (within
        `metadata.deadline`) before the first section renders."""
        strings = dict(self.config.strings)
        self.renderer = SectionRenderer(env.loader, strings)
        if self.works is not None:
            self.work_meta = self.works.collect(self.graph)
            self.works.close()
        if self.inbox is not None:
            for warning in self.inbox.collect(self.page_urls, save=self._writes_data):
                log.warning(warning)
            mentions = self.config.mentions
            if mentions.avatars == "download":
                self.inbox.download_avatars(allow_network=self._may_fetch)
            self.views = Views(
                strings, mentions.avatars, mentions.excerpt_length, self.inbox.downloaded
            )
        return env

    @property
    def _writes_data(self) -> bool:
        """Under serve, the data folder is written only when the user asked for network use
        there too; otherwise a fetch cannot have happened, and files stay as they are."""
        return self.command != "serve" or self.config.mentions.on_serve

    # Late, so other plugins have finished editing the content before we mark its end.
    @event_priority(-50)
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        assert self.renderer is not None
        src = page.file.src_uri
        options = self.page_options.get(src) or PageOptions()
        show_credits = self.config.credits and options.credits
        show_backlinks = self.config.backlinks and options.backlinks
        mentions = None
        if show_backlinks and self.inbox is not None and self.views is not None:
            found = self.inbox.mentions_of(page.url)
            mentions = self.views.page(found, page.url) if found else None
        sections = self.renderer.render_page(
            self.graph,
            src,
            page.url,
            credits=show_credits,
            backlinks=show_backlinks,
            metadata=self.work_meta,
            mentions=mentions,
        )
        # Only a marker goes into page.content: MkDocs keeps every page's content until the
        # build ends, so the sections themselves are pasted into the page's final HTML below
        # and freed once it is written. Search indexes and feeds read page.content and so
        # never see the sections, which are navigation, not content.
        page.content = mark_end(page.content or "", self.config.auto_append)
        self.pending[src] = sections
        context["backlinks"] = sections  # type: ignore[typeddict-unknown-key]
        return context

    # Early: before other plugins post-process the HTML. An HTML minifier (which runs here at
    # the default priority) strips comments, and with them our placeholders.
    @event_priority(50)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        sections = self.pending.pop(page.file.src_uri, None)
        if sections is None:
            return output
        return fill(output, sections.credits_html, sections.backlinks_html)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        pages, internal, citations = self.graph.counts()
        if self.config.export:
            path = Path(config.site_dir) / self.config.export_path
            write_text_atomic(path, self.graph.export_text(config.site_url))
        summary_line = f"{pages} pages, {internal} internal links, {citations} citations"
        if self.inbox is not None:
            self.inbox.copy_avatars(Path(config.site_dir))
            shown = sum(len(found) for found in self.inbox.by_page.values())
            if shown or self.inbox.store.mentions:
                summary_line += f", {shown} mentions shown"
        if self.desk is not None:
            if self.inbox is not None:
                # Who mentions us joins the relationships view; a told contact that did
                # becomes linked-back.
                self.desk.settings = replace(self.desk.settings, mentions=self.inbox.sites())
            try:
                observed = ObservedCitations(self.graph, config.site_url)
                summary = self.desk.record(observed, self.work_meta if self.works else None)
            except ValueError as exc:  # a note template that fails on real data
                message = f"Plugin 'backlinks' option 'outreach.note_template': {exc}"
                raise PluginError(message) from exc
            except LedgerError as exc:  # the ledger was damaged after on_pre_build checked it
                raise PluginError(str(exc)) from exc
            except OSError as exc:  # a full disk, a read-only or odd data folder
                folder = self.desk.folder
                raise PluginError(f"Plugin 'backlinks': cannot write {folder}: {exc}") from exc
            lists = _shown(self.desk.folder / "outreach.html")
            summary_line += (
                f"; {summary['new_contacts']} new contacts, {summary['to_do']} notes to send: "
                f"review {lists}"
            )
        log.info(summary_line)

    def on_build_error(self, *, error: Exception) -> None:
        """A failed build leaves no fetch running behind it (under serve, the next rebuild
        starts its own), and no link rows in a temporary file."""
        self.graph.close()
        if self.inbox is not None:
            self.inbox.stop()
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


def _page_title(page: Page) -> str:
    """The page's title as text, which is what the graph, its export and the ledger hold.

    MkDocs gives a title taken from the page's h1 as HTML text ('Tips &amp; tricks'), and one
    from nav or front matter as written, which YAML may have read as a number
    (`- 2024: index.md`).
    """
    title = page.title
    if title is None:
        return ""
    # Private in MkDocs 1.6; read defensively so another version only loses the unescaping.
    if title == getattr(page, "_title_from_render", None):
        return unescape(title)
    return str(title)


def _section_titles(page: Page, wanted: set[str]) -> dict[str, str]:
    """Heading id to heading text, for the ids in `wanted`. MkDocs' toc titles are HTML text,
    unescaped here so the sections (which escape what they show) print 'Q&A', not 'Q&amp;A'."""
    titles: dict[str, str] = {}

    def walk(items: list[AnchorLink]) -> None:
        for item in items:
            if item.id in wanted and item.id not in titles:
                titles[item.id] = unescape(item.title)
            walk(item.children)

    walk(list(page.toc))
    return titles
