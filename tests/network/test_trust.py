"""Trusting a CA the plugin does not ship: the environment, the `ca_bundle` option, the
`--ca-bundle` flag; and refusing, with a warning and no traceback, without any of them.

A throwaway CA signs a certificate for `localhost`; a real TLS server on 127.0.0.1 presents
it, as a self-hosted receiver or a staging site with an internal CA would.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from mkdocs_backlinks.cli import main
from mkdocs_backlinks.http.options import CA_BUNDLE_ENV
from tests.conftest import MakeSite, Site
from tests.http_servers import Handler, HttpServer, make_certificates, tls_context

POST = b"<!doctype html><title>Behind an internal CA</title><p>Hello.</p>"
LOOPBACK = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def ca(certificates: tuple[Path, Path, Path]) -> Path:
    return certificates[0]


@pytest.fixture(autouse=True)
def no_ca_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine running the tests may set these; each test chooses its own."""
    for name in CA_BUNDLE_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(certificates: tuple[Path, Path, Path]) -> Iterator[HttpServer]:
    _ca, leaf, key = certificates
    with HttpServer(tls=tls_context(leaf, key)) as srv:

        @srv.route("/post")
        def post(h: Handler) -> None:
            h.reply(200, POST)

        @srv.route("/feed")
        def feed(h: Handler) -> None:
            h.reply(200, json.dumps({"children": []}).encode(), "application/json")

        yield srv


def cited(server: HttpServer) -> str:
    return server.url("/post", scheme="https", host="localhost")


def site_citing(make_site: MakeSite, server: HttpServer, **options: Any) -> Site:
    return make_site(
        {"index.md": f"# Home\n\nSee [the post]({cited(server)}).\n"},
        {"allow_networks": LOOPBACK, "metadata": {"timeout": 2, "deadline": 10}, **options},
    )


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    # Not the outreach notes' own (these sites set no site_url nor author: `test_notes`).
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "Outreach notes" not in r.getMessage()
    ]


def test_an_unknown_ca_is_refused_with_a_warning(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    site = site_citing(make_site, server)
    with caplog.at_level(logging.WARNING):
        site.build()
    (warning,) = warnings_in(caplog)
    assert "Could not check 1 cited work" in warning
    assert "TLS certificate not valid" in warning
    assert "Traceback" not in caplog.text
    assert "Behind an internal CA" not in site.html("index.html")
    assert server.requests == []  # the handshake failed: nothing was sent


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_the_environment_names_the_ca(
    make_site: MakeSite,
    server: HttpServer,
    ca: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variable: str,
) -> None:
    monkeypatch.setenv(variable, str(ca))
    site = site_citing(make_site, server)
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == []
    assert "Behind an internal CA" in site.html("index.html")


def test_a_ca_variable_naming_nothing_is_said_and_ignored(
    make_site: MakeSite,
    server: HttpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    site = site_citing(make_site, server)
    with caplog.at_level(logging.WARNING):
        site.build()
    warnings = warnings_in(caplog)
    assert any("REQUESTS_CA_BUNDLE names" in w and "does not exist" in w for w in warnings)
    assert "Traceback" not in caplog.text


def test_the_ca_bundle_option_is_relative_to_mkdocs_yml(
    make_site: MakeSite, server: HttpServer, ca: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = site_citing(make_site, server, ca_bundle="certs/company-ca.pem")
    (site.root / "certs").mkdir()
    shutil.copy(ca, site.root / "certs" / "company-ca.pem")
    with caplog.at_level(logging.WARNING):
        site.build()
    assert warnings_in(caplog) == []
    assert "Behind an internal CA" in site.html("index.html")


def test_a_missing_ca_bundle_fails_validation_naming_the_option(
    make_site: MakeSite, server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    site = site_citing(make_site, server, ca_bundle="certs/missing.pem")
    with caplog.at_level(logging.ERROR), pytest.raises(Abort):
        load_config(str(site.config_file))
    assert "ca_bundle" in caplog.text and "missing.pem" in caplog.text
    assert server.requests == []


def test_the_ca_bundle_flag_of_a_command(
    make_site: MakeSite,
    server: HttpServer,
    ca: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`fetch` reads an https feed from a receiver behind the internal CA."""
    feed = server.url("/feed", scheme="https", host="localhost")
    site = make_site({"index.md": "# Home\n"}, {"mentions": {"sources": [{"jf2": feed}]}})
    command = ["fetch", "-f", str(site.config_file)]
    for network in LOOPBACK:
        command += ["--allow-network", network]
    main(command)
    assert server.requests == []  # refused without the flag
    assert "TLS certificate not valid" in capsys.readouterr().err
    assert main([*command, "--ca-bundle", str(ca)]) == 0
    assert [r.path for r in server.requests] == ["/feed"]


def test_the_ca_bundle_flag_refuses_a_missing_file(
    make_site: MakeSite, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site({"index.md": "# Home\n"})
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "-f", str(site.config_file), "--ca-bundle", "nowhere.pem"])
    assert exit_.value.code == 2
    assert "--ca-bundle" in capsys.readouterr().err
