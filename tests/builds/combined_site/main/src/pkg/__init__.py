"""A tiny package documented on the combined site's API page."""


class Foo:
    """A foo. It needs a [Bar][pkg.Bar] and the [setup steps][setup]; see [PEP 8](https://peps.python.org/pep-0008/)."""

    def run(self) -> None:
        """Run it with [`Bar`][pkg.Bar] after [the setup][setup]."""


class Bar:
    """A bar, with no links."""
