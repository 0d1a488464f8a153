"""`mkdocs` with the garbage collector run at fixed points, so counted builds compare.

Python collects when the allocations since its last collection pass a threshold. A variant
that allocates a little more than another can therefore collect once more over the whole
heap, and that one collection moves a build's cache misses by hundreds of thousands: more
than most changes one wants to measure (`docs/performance.md`). Under
`bench_build.py --steady-gc`, each counted build runs this file instead of `python -m mkdocs`:
the automatic collector is off, and the young generations are collected every `YOUNG_EVERY`
pages converted or rendered, everything every `FULL_EVERY`. Every variant of one site then
collects at the same points of its build, whatever it allocates.

It wraps two private functions of MkDocs 1.6 (`_populate_page`, which converts a page, and
`_build_page`, which renders one). That is acceptable in a measuring aid; a MkDocs without
them stops the build with a message instead of measuring something else.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

from mkdocs.commands import build

YOUNG_EVERY = 10
"""Pages (converted or rendered) between two collections of the young generations."""
FULL_EVERY = 250
"""Pages (converted or rendered) between two collections of everything."""
STEPS = ("_populate_page", "_build_page")


def install() -> None:
    """Turn the automatic collector off and collect at fixed points of every page."""
    missing = [name for name in STEPS if not callable(getattr(build, name, None))]
    if missing:
        raise SystemExit(f"steady_gc: this MkDocs has no {', '.join(missing)} to count pages by")
    done = 0

    def counted(step: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(step)
        def run(*args: Any, **kwargs: Any) -> Any:
            nonlocal done
            done += 1
            if done % FULL_EVERY == 0:
                gc.collect()
            elif done % YOUNG_EVERY == 0:
                gc.collect(1)
            return step(*args, **kwargs)

        return run

    for name in STEPS:
        setattr(build, name, counted(getattr(build, name)))
    gc.disable()


if __name__ == "__main__":
    install()
    from mkdocs.__main__ import cli

    cli(prog_name="mkdocs")
