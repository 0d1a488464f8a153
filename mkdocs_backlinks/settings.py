"""The plugin's options (`config.BacklinksConfig`) turned into what each concern takes.

Each concern takes plain settings, never the config classes, so that it can be used and
tested without MkDocs and no module below the plugin imports `config`. This is the one place
where an option becomes a path, an HTTP limit or a concern's settings; the commands call the
same functions, so a command and a build of one site agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mkdocs.config import config_options as opt
from mkdocs.config.base import ValidationError
from mkdocs.utils.yaml import yaml_load
from yaml import YAMLError

from mkdocs_backlinks.http.options import (
    HttpOptions,
    IPNetwork,
    env_flag,
    offline_from_env,
    parse_proxy,
    proxy_from_env,
)
from mkdocs_backlinks.links.collect import Rules
from mkdocs_backlinks.sections.headings import toc_settings
from mkdocs_backlinks.sections.locales import strings_for
from mkdocs_backlinks.sections.pages import SectionSettings
from mkdocs_backlinks.text import fold

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from mkdocs_backlinks.config import BacklinksConfig

    # A feature's own modules are imported by the function that sets it up, so a build with
    # the feature off never loads them (outreach and mentions pull in the ledger, the HTTP
    # layer and their templates).
    from mkdocs_backlinks.mentions.desk import Settings as MentionsSettings
    from mkdocs_backlinks.outreach.desk import OutreachDesk
    from mkdocs_backlinks.outreach.settings import Settings as OutreachSettings
    from mkdocs_backlinks.works.resolver import MetadataSettings


@dataclass(frozen=True)
class SitePaths:
    """Where the plugin keeps this site's files: all beside mkdocs.yml, as relative options
    say, so that a command run from any folder finds what the build wrote."""

    base: Path
    """The folder of mkdocs.yml."""
    data: Path
    """The data folder (`data_dir`): the ledger, the mentions store and moderation."""
    cache: Path
    """The cache folder (`cache_dir`): disposable HTTP caches and avatars."""

    @property
    def ledger(self) -> Path:
        from mkdocs_backlinks.ledger.file import LEDGER_FILE

        return self.data / LEDGER_FILE


def site_paths(options: BacklinksConfig, config: MkDocsConfig) -> SitePaths:
    """The plugin's folders for the site that `config` describes."""
    base = Path(config.config_file_path or ".").resolve().parent
    return SitePaths(base=base, data=base / options.data_dir, cache=base / options.cache_dir)


def private_data_folder(options: BacklinksConfig, config: MkDocsConfig, holds: str) -> Path:
    """The data folder, or ValueError naming `data_dir` when it lies inside `docs_dir`, where
    what it `holds` (said in the message) would be published with the site."""
    folder = site_paths(options, config).data
    if folder.is_relative_to(Path(config.docs_dir).resolve()):
        raise ValueError(
            f"'data_dir': {folder} is inside docs_dir, where {holds} would be published. "
            "Choose a folder beside mkdocs.yml."
        )
    return folder


def configured_site_url(config: MkDocsConfig) -> str | None:
    """The `site_url` mkdocs.yml sets, also under `mkdocs serve`.

    Serve replaces `site_url` with the dev server's address before any plugin sees the
    config, so every absolute link to the real site would become a citation, and stored
    mentions would match no page: the preview would not show what the build publishes. When
    `site_url` is that address, the file is read again as MkDocs reads it (`!ENV`, `INHERIT`);
    a file that cannot be read leaves the address as it is.
    """
    site_url = config.site_url
    path = config.config_file_path
    if not site_url or not path or urlsplit(site_url).netloc != _dev_netloc(config):
        return site_url
    try:
        with Path(path).open(encoding="utf-8-sig") as handle:
            document = yaml_load(handle)
    except (OSError, ValueError, YAMLError):
        return site_url
    written = document.get("site_url") if isinstance(document, dict) else None
    if not written:
        return None  # the build has none either
    try:
        return str(opt.URL(is_dir=True).validate(written))  # type: ignore[no-untyped-call]
    except ValidationError:
        return site_url


def _dev_netloc(config: MkDocsConfig) -> str:
    host, port = config.dev_addr.host, config.dev_addr.port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_offline(options: BacklinksConfig) -> bool:
    """Whether this run stays off the network: the `offline` option or the environment."""
    return bool(options.offline) or offline_from_env()


def http_options(
    options: BacklinksConfig,
    *,
    allow: Iterable[IPNetwork] = (),
    offline: bool = False,
    ca_bundle: str | None = None,
    **limits: Any,
) -> HttpOptions:
    """The HTTP layer's settings for this site: its options, plus what a command line adds.

    `limits` passes other `HttpOptions` fields (timeouts, concurrency) straight through;
    `ca_bundle` (the `--ca-bundle` flag) wins over the option.
    """
    networks = tuple(dict.fromkeys((*options.allow_networks, *allow)))
    return HttpOptions(
        allow_networks=networks,
        offline=bool(options.offline or offline),
        ca_bundle=ca_bundle or options.ca_bundle,
        proxy=_proxy(options.proxy),
        **limits,
    )


def _proxy(option: str | None) -> str | None:
    """The proxy URL to use: the option's, or with `env` the environment's, checked then.

    A variable that is not a proxy URL is said once and not used: the option was validated
    with the configuration, the environment only now."""
    if option != "env":
        return option
    found = proxy_from_env()
    if found is None:
        return None
    try:
        return parse_proxy(found)
    except ValueError as exc:
        from mkdocs.plugins import get_plugin_logger

        get_plugin_logger(__name__).warning("proxy: env: %s; connecting directly.", exc)
        return None


def metadata_settings(
    options: BacklinksConfig, config: MkDocsConfig, command: str
) -> MetadataSettings:
    """What learning about cited works needs for this build; online only when neither the
    options nor the environment say offline, and under serve only with `on_serve`."""
    from mkdocs_backlinks.works.resolver import DAY, REFRESH_ENV, MetadataSettings

    meta = options.metadata

    def http() -> HttpOptions:
        return http_options(
            options,
            connect_timeout=min(5.0, meta.timeout),
            read_timeout=meta.timeout,
            deadline=meta.timeout,
            batch_deadline=meta.deadline,
            concurrency=meta.concurrency,
            per_host=meta.per_host,
        )

    return MetadataSettings(
        online=not is_offline(options) and (command != "serve" or meta.on_serve),
        ttl=meta.ttl * DAY,
        failure_ttl=meta.failure_ttl * DAY,
        deadline=meta.deadline,
        concurrency=meta.concurrency,
        http=http,
        refresh=env_flag(REFRESH_ENV),
        per_host=meta.per_host,
        strict=bool(config.strict),
    )


def config_file_as_run(path: str | None) -> str:
    """The configuration file as the lists' commands should name it: relative to the folder
    the build runs in when it lies inside it (`mkdocs build -f sample_site/mkdocs.yml` gives
    `sample_site/mkdocs.yml`, so a command pasted in that shell finds it), else its name."""
    if not path:
        return "mkdocs.yml"
    file = Path(path).resolve()
    try:
        return file.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:  # elsewhere: a path to a temporary folder would only mislead
        return file.name


def outreach_settings(options: BacklinksConfig, config: MkDocsConfig) -> OutreachSettings:
    """Outreach settings from the plugin options, defaulting to the site's own details."""
    from mkdocs_backlinks.outreach.desk import build_date
    from mkdocs_backlinks.outreach.settings import Settings as OutreachSettings

    out = options.outreach
    return OutreachSettings(
        # One line each, as a note's sentence needs them; blank is unset (and warned about).
        site_name=fold(config.site_name or ""),
        site_url=configured_site_url(config) or "",
        author=fold(out.author or "") or fold(config.site_author or ""),
        author_url=out.author_url or configured_site_url(config) or "",
        sign_off=out.sign_off,
        tone=out.tone,
        done_statuses=tuple(out.done_statuses),
        exclude_sites=out.exclude_sites,
        note_template=Path(out.note_template) if out.note_template else None,
        thanks_template=Path(out.thanks_template) if out.thanks_template else None,
        people_hosts=out.people_hosts,
        reference_sites=out.reference_sites,
        config_file=config_file_as_run(config.config_file_path),
        today=build_date(),
        template_cache=site_paths(options, config).cache,
    )


def outreach_desk(options: BacklinksConfig, config: MkDocsConfig) -> OutreachDesk:
    """The outreach desk for a build; ValueError (starting with the option's name) when the
    data folder would be published or the note template does not load."""
    from mkdocs_backlinks.outreach.desk import OutreachDesk

    folder = private_data_folder(options, config, "the private ledger and outreach list")
    try:
        return OutreachDesk(folder, outreach_settings(options, config))
    except ValueError as exc:
        option = getattr(exc, "option", "note_template")
        raise ValueError(f"'outreach.{option}': {exc}") from exc


def mentions_settings(options: BacklinksConfig, config: MkDocsConfig) -> MentionsSettings:
    """The mentions desk's settings; ValueError naming `data_dir` when the data folder would
    be published."""
    from mkdocs_backlinks.mentions.desk import Settings as MentionsSettings

    folder = private_data_folder(options, config, "the mentions store and its moderation")
    paths = site_paths(options, config)
    mentions = options.mentions
    return MentionsSettings(
        folder=folder,
        base=paths.base,
        site_url=configured_site_url(config) or "",
        sources=tuple(mentions.sources),
        aliases=tuple(mentions.aliases),
        relays=tuple(mentions.relays),
        avatars=mentions.avatars,
        timeout=mentions.timeout,
        cache=paths.cache,
        page_limit=max(1, round(mentions.max_page_mb * 1_000_000)),
    )


def link_rules(options: BacklinksConfig) -> Rules:
    """What the collector skips, from the options it reads."""
    return Rules(
        ignore_rel=frozenset(options.ignore_rel),
        opt_out_class=options.opt_out_class,
        exclude_domains=options.exclude_domains,
        exclude_urls=options.exclude_urls,
        excluded_target=options.exclude_targets.match_file,
        snippet_length=options.snippet_length,  # at least 20: WholeNumber
        outside_links=any(
            (options.credits, options.export, options.outreach.enabled, options.metadata.enabled)
        ),
        outside_snippets=options.export or options.outreach.enabled,
    )


def reader_language(config: MkDocsConfig) -> str:
    """The language this build's pages are read in: static-i18n's language of this build,
    else `theme.language` where the theme has one (Material), else the theme's `locale`.

    static-i18n sets the theme's language for each of its builds in its own `on_config`,
    which runs after ours, so the theme would still name the previous build's language.
    """
    i18n = config.plugins.get("i18n")
    for language in (
        getattr(i18n, "current_language", None),
        getattr(i18n, "default_language", None) if i18n is not None else None,
        config.theme.get("language"),
    ):
        if isinstance(language, str) and language:
            return language
    return str(config.theme.get("locale") or "en")


def section_strings(options: BacklinksConfig, config: MkDocsConfig) -> dict[str, str]:
    """The sections' words: the reader's language, with what `strings` sets on top."""
    written = {key: value for key, value in options.strings.items() if value is not None}
    return {**strings_for(reader_language(config)), **written}


def section_settings(options: BacklinksConfig, config: MkDocsConfig) -> SectionSettings:
    """What the sections show on every page, and in which words."""
    return SectionSettings(
        credits=options.credits,
        backlinks=options.backlinks,
        auto_append=options.auto_append,
        max_entries=options.max_entries,
        strings=section_strings(options, config),
        toc=options.toc,
        headings=toc_settings(config.mdx_configs),
        cache=site_paths(options, config).cache,
    )
