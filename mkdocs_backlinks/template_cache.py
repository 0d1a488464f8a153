"""The plugin's templates, compiled once and kept in the cache folder between builds.

Jinja turns a template's source into Python code whenever an environment first loads it, and
every build loads the sections' three templates and the note and thank-you templates again,
as does every process that writes the lists with the review page's: tens of milliseconds a
build (over a hundred for the review page), and a rebuild of `mkdocs serve`, spent compiling
sources that have not changed (docs/performance.md). Jinja's bytecode cache interface keeps the code
instead, under a key made of the template's name and file, and hands it back only while a
checksum of the source matches, so an edited template (a user's own in `custom_dir` among
them) is compiled again.

`TemplateCache` is that interface over files in the cache folder, made to fail quietly: the
folder is disposable (`cache_dir`), so one that cannot be made or written, or a damaged or
foreign file in it, only means compiling as before. Unlike Jinja's `FileSystemBytecodeCache`
it reads no pickle, and its header names the Jinja and Python that compiled the code, so code
from another version is never run.
"""

from __future__ import annotations

import contextlib
import marshal
from pathlib import Path
from types import CodeType

import jinja2
from jinja2.bccache import Bucket, bc_magic

from mkdocs_backlinks.files import write_bytes_atomic

__all__ = ["TemplateCache", "template_cache"]

_VERSION = f"jinja2 {jinja2.__version__}".encode()


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates of one kind of environment in `folder`: `kind` is part of each
    file's name, since the code depends on the environment's options as well as the source."""

    def __init__(self, folder: Path, kind: str) -> None:
        self.folder = folder
        self.kind = kind

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{self.kind}-{bucket.key}.jinja"

    @staticmethod
    def _header(bucket: Bucket) -> bytes:
        return bc_magic + _VERSION + b"\n" + bucket.checksum.encode() + b"\n"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        header = self._header(bucket)
        if not data.startswith(header):
            return  # another source, Jinja or Python: compiled again and replaced
        try:
            # The cache folder is the project's own, as trusted as its __pycache__.
            code = marshal.loads(data[len(header) :])  # noqa: S302
        except (EOFError, ValueError, TypeError):
            return
        if isinstance(code, CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is None:
            return
        data = self._header(bucket) + marshal.dumps(bucket.code)
        with contextlib.suppress(OSError):
            write_bytes_atomic(self._path(bucket), data)


def template_cache(folder: Path | None, kind: str) -> TemplateCache | None:
    """The cache for templates of `kind` under `folder` (the plugin's cache folder), or None
    to compile every time."""
    return None if folder is None else TemplateCache(folder / "templates", kind)
