"""What the plugins real sites combine with ours do to pages, read where our hooks need it.

Each is read from what the other plugin leaves on MkDocs' own objects (file attributes, its
config), never by patching it, and each reading is optional: without the other plugin, or with
a version that names things differently, our plugin behaves as on a plain site.

- Material's blog generates pages (archive, categories, pagination) that repeat excerpts, and
  its index lists posts after the page's content, where an appended section would land.
- mkdocs-static-i18n builds each language apart; `other.md` written in `index.fr.md` is
  `other.fr.md` in the French build.
- mkdocs-redirects turns old paths into stubs that are not pages: a link to one counts for the
  page it redirects to.
- mkdocs-literate-nav's navigation file (`SUMMARY.md`) is a page whose links are the nav.
"""

from __future__ import annotations

import posixpath
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

__all__ = ["is_blog_index", "is_generated", "language_folder", "nav_files", "page_aliases"]

BLOG = "material/blog"
"""What Material's blog plugin sets as `File.generated_by` on the pages it makes."""


def is_generated(page: Page) -> bool:
    """Whether another plugin generated the page (the blog's archive, categories and
    pagination): no content of its own, so no sections and no links of its own."""
    return getattr(page.file, "generated_by", None) == BLOG


def is_blog_index(page: Page) -> bool:
    """Whether the page is the blog's index, whose template lists the posts after the page's
    content: a section appended to that content would sit between the title and the posts."""
    # Looked up, not imported: the blog's pages exist only where its module has been loaded,
    # and a failed import on every page of a site without Material would cost each time.
    structure = sys.modules.get("material.plugins.blog.structure")
    view = getattr(structure, "View", None)
    return isinstance(view, type) and isinstance(page, view)


def page_aliases(files: Files, config: MkDocsConfig) -> dict[str, str]:
    """Other source paths that name a page of this build, to the page's own source path."""
    aliases: dict[str, str] = {}
    for file in files.documentation_pages():
        # static-i18n keeps the name without the language suffix on each file it builds.
        plain = getattr(file, "norm_src_uri", None)
        if isinstance(plain, str) and plain != file.src_uri:
            aliases.setdefault(plain, file.src_uri)
    redirects = _plugin_config(config, "redirects")
    maps = redirects.get("redirect_maps") if redirects else None
    if isinstance(maps, dict):
        for old, new in maps.items():
            if isinstance(old, str) and isinstance(new, str) and "://" not in new:
                aliases.setdefault(old, new.partition("#")[0])
    return aliases


def nav_files(config: MkDocsConfig) -> frozenset[str]:
    """File names that hold a navigation, not content: their links are not citations or
    backlinks (literate-nav's `nav_file`)."""
    literate = _plugin_config(config, "literate-nav")
    if literate is None:
        return frozenset()
    name = literate.get("nav_file") or "SUMMARY.md"
    return frozenset({posixpath.basename(str(name))})


def language_folder(config: MkDocsConfig) -> str:
    """The folder of `site_dir` this build writes its language to: `fr/` in static-i18n's
    French build, where each language's export goes so one does not replace another; empty
    for the default language and for a site in one language."""
    i18n = config.plugins.get("i18n")
    if i18n is None or getattr(i18n, "is_default_language_build", True):
        return ""
    language = getattr(i18n, "current_language", None)
    return f"{language}/" if isinstance(language, str) and language else ""


def _plugin_config(config: MkDocsConfig, name: str) -> Any:
    plugin = config.plugins.get(name)
    return getattr(plugin, "config", None) if plugin is not None else None
