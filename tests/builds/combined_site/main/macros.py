"""The macro the combined site's pages call: it writes a Markdown link, which must count."""

from typing import Any


def define_env(env: Any) -> None:
    @env.macro  # type: ignore[untyped-decorator]
    def see(path: str, text: str) -> str:
        return f"[{text}]({path})"
