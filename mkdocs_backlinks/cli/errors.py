"""How a command says it cannot go on, and the exit status each kind of failure gets."""

from __future__ import annotations


class CommandError(Exception):
    """A user mistake or a broken file: printed as one line, exit status 1."""


class UsageError(CommandError):
    """The command cannot run as asked (missing setting, no build, bad URL): exit status 2,
    so scripts can tell it from a run that went ahead and met failures (1)."""
