"""Temporary re-exports for the restructure; removed once importers use the new modules."""

from mkdocs_backlinks.mentions.fetch import (
    MAX_PAGES,
    Fetched,
    apply,
    fetch_source,
    prune_gone,
    read_file_source,
)
from mkdocs_backlinks.mentions.source_types import (
    DEFAULT_API,
    DEFAULT_TOKEN_ENV,
    Jf2Feed,
    LocalFile,
    Source,
    WebmentionIo,
    parse_source,
)

__all__ = [
    "DEFAULT_API",
    "DEFAULT_TOKEN_ENV",
    "MAX_PAGES",
    "Fetched",
    "Jf2Feed",
    "LocalFile",
    "Source",
    "WebmentionIo",
    "apply",
    "fetch_source",
    "parse_source",
    "prune_gone",
    "read_file_source",
]
