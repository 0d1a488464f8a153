"""Avatars in download mode: fetched once into the cache folder, copied into the built site.

Only raster images (PNG, JPEG, GIF, WebP) up to `AVATAR_BYTES` are kept; the page shows them
at a fixed small size. Offline, the cached ones are used and the others are left out.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from mkdocs.plugins import get_plugin_logger

from mkdocs_backlinks.files import write_bytes_atomic
from mkdocs_backlinks.http.options import HttpOptions

__all__ = ["AVATAR_BYTES", "AVATAR_FOLDER", "AVATAR_SIZE", "copy_avatars", "download_avatars"]

log = get_plugin_logger(__name__)

AVATAR_FOLDER = "assets/backlinks/avatars"
"""Where downloaded avatars go inside site_dir."""
AVATAR_SIZE = 32
AVATAR_BYTES = 100_000
_IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
# Not SVG: an SVG document can carry script, and an avatar is no reason to serve one.


def download_avatars(
    cache: Path,
    photos: Iterable[str],
    http: HttpOptions,
    timeout: float,
    allow_network: bool,
) -> dict[str, str]:
    """The cached file name of each photo URL in `photos` that is (now) in `cache`; the
    missing ones are fetched when `allow_network`."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for photo in photos:
        name = _cached_avatar(cache, photo)
        if name:
            found[photo] = name
        else:
            missing.append(photo)
    if missing and allow_network:
        options = HttpOptions(**{**http.__dict__, "max_bytes": AVATAR_BYTES, "max_redirects": 3})
        from mkdocs_backlinks.http.client import HttpClient  # only when going online

        with HttpClient(options) as client:
            results = client.fetch_many(missing, accept=tuple(_IMAGE_TYPES), deadline=timeout)
        cache.mkdir(parents=True, exist_ok=True)
        for photo, result in results.items():
            kind = (result.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if result.status in ("ok", "redirected") and kind in _IMAGE_TYPES:
                name = _avatar_name(photo) + _IMAGE_TYPES[kind]
                # Atomic: a half-written file would pass for a cached avatar from then on.
                write_bytes_atomic(cache / name, result.body)
                found[photo] = name
            else:
                log.debug("Avatar %s not downloaded: %s", photo, result.error or result.status)
    return found


def copy_avatars(cache: Path, downloaded: Mapping[str, str], site_dir: Path) -> None:
    """Put the downloaded avatars the pages use into the built site."""
    target = site_dir / AVATAR_FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(set(downloaded.values())):
        shutil.copyfile(cache / name, target / name)


def _avatar_name(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:24]


def _cached_avatar(cache: Path, url: str) -> str | None:
    stem = _avatar_name(url)
    for suffix in _IMAGE_TYPES.values():
        if (cache / (stem + suffix)).is_file():
            return stem + suffix
    return None
