"""Unit tests for `mkdocs_backlinks.config`: plugin options and page front matter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pathspec
import pytest
import yaml
from conftest import MakeSite
from mkdocs.config import load_config
from mkdocs.config.base import ValidationError
from mkdocs.exceptions import Abort

from mkdocs_backlinks.config import BacklinksConfig
from mkdocs_backlinks.option_types import (
    REL_VALUES,
    DomainPatterns,
    PagePatterns,
    RegexList,
    RelativeFile,
)
from mkdocs_backlinks.page_options import ALL_ON, PageOptionsError, PageSwitches, page_options
from mkdocs_backlinks.settings import section_settings


def validate(options: dict[str, Any]) -> tuple[BacklinksConfig, dict[str, str], list[Any]]:
    """Load and validate; failures are returned as {option name: message}."""
    cfg = BacklinksConfig()
    cfg.load_dict(options)
    failed, warnings = cfg.validate()
    return cfg, {key: str(error) for key, error in failed}, list(warnings)


def only_failure(options: dict[str, Any]) -> tuple[str, str]:
    _cfg, failed, _warnings = validate(options)
    assert len(failed) == 1, failed
    return next(iter(failed.items()))


# --------------------------------------------------------------------------- defaults


def test_defaults() -> None:
    cfg, failed, warnings = validate({})
    assert failed == {}
    assert warnings == []
    assert cfg.credits is True
    assert cfg.backlinks is True
    assert cfg.auto_append is True
    assert cfg.snippet_length == 240
    assert list(cfg.ignore_rel) == ["nofollow", "sponsored", "ugc"]
    assert list(REL_VALUES) == ["nofollow", "sponsored", "ugc"]
    assert cfg.opt_out_class == "no-backlinks"
    assert cfg.exclude_domains == ()
    assert cfg.exclude_urls == ()
    assert isinstance(cfg.exclude_sources, pathspec.GitIgnoreSpec)
    assert not cfg.exclude_sources.match_file("a.md")
    assert not cfg.exclude_targets.match_file("a.md")
    assert cfg.export is True
    assert cfg.export_path == "backlinks.json"
    # Unset, so that the site's language can fill them (see the end of this file).
    assert set(cfg.strings.values()) == {None}


def test_defaults_are_not_shared_between_instances() -> None:
    first, _, _ = validate({"ignore_rel": ["ugc"]})
    second, _, _ = validate({})
    assert list(first.ignore_rel) == ["ugc"]
    assert list(second.ignore_rel) == ["nofollow", "sponsored", "ugc"]


def test_valid_values_are_accepted_and_converted() -> None:
    cfg, failed, warnings = validate(
        {
            "credits": False,
            "backlinks": False,
            "auto_append": False,
            "snippet_length": 80,
            "ignore_rel": ["sponsored"],
            "opt_out_class": "skip-me",
            "exclude_domains": ["Example.COM.", "*.x.org", "example.com", " y.org "],
            "exclude_urls": [r"/private/", r"\?draft=1$"],
            "exclude_sources": ["drafts/*"],
            "exclude_targets": "archive/\n!archive/keep.md\n",
            "export": False,
            "export_path": "data/graph.json",
            "strings": {"credits_title": "Sources"},
        }
    )
    assert failed == {}
    assert warnings == []
    assert cfg.snippet_length == 80
    assert list(cfg.ignore_rel) == ["sponsored"]
    # lower-cased, trailing dot and white space removed, deduplicated and sorted
    assert cfg.exclude_domains == ("*.x.org", "example.com", "y.org")
    assert [p.pattern for p in cfg.exclude_urls] == [r"/private/", r"\?draft=1$"]
    assert all(isinstance(p, re.Pattern) for p in cfg.exclude_urls)
    assert cfg.exclude_sources.match_file("drafts/x.md")
    assert not cfg.exclude_sources.match_file("a.md")
    assert cfg.exclude_targets.match_file("archive/old.md")
    assert not cfg.exclude_targets.match_file("archive/keep.md")
    assert cfg.export_path == "data/graph.json"
    assert cfg.strings.credits_title == "Sources"
    assert cfg.strings.backlinks_title is None


def test_ignore_rel_may_be_empty() -> None:
    cfg, failed, _ = validate({"ignore_rel": []})
    assert failed == {}
    assert list(cfg.ignore_rel) == []


# --------------------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"snippet_length": "long"}, "snippet_length"),
        ({"snippet_length": 2.5}, "snippet_length"),
        ({"snippet_length": 19}, "snippet_length"),
        ({"mentions": {"excerpt_length": 0.5}}, "mentions"),
        ({"mentions": {"excerpt_length": 10}}, "mentions"),
        ({"mentions": {"excerpt_length": True}}, "mentions"),
        ({"credits": "yes"}, "credits"),
        ({"backlinks": 1}, "backlinks"),
        ({"auto_append": "no"}, "auto_append"),
        ({"export": "false"}, "export"),
        ({"opt_out_class": 3}, "opt_out_class"),
        ({"ignore_rel": ["nofolow"]}, "ignore_rel"),
        ({"ignore_rel": ["noopener"]}, "ignore_rel"),
        ({"ignore_rel": "nofollow"}, "ignore_rel"),
        ({"exclude_urls": ["("]}, "exclude_urls"),
        ({"exclude_urls": ["ok", "[unclosed"]}, "exclude_urls"),
        ({"exclude_urls": "x"}, "exclude_urls"),
        ({"exclude_urls": [1]}, "exclude_urls"),
        ({"exclude_domains": ["https://x.com/"]}, "exclude_domains"),
        ({"exclude_domains": ["x.com/path"]}, "exclude_domains"),
        ({"exclude_domains": ["a b"]}, "exclude_domains"),
        ({"exclude_domains": ["x.com:8080"]}, "exclude_domains"),
        ({"exclude_domains": [""]}, "exclude_domains"),
        ({"exclude_domains": ["-x.com"]}, "exclude_domains"),
        ({"exclude_domains": ["x..com"]}, "exclude_domains"),
        ({"exclude_domains": ["*x.com"]}, "exclude_domains"),
        ({"exclude_domains": ["a.*.com"]}, "exclude_domains"),
        ({"exclude_domains": "x.com"}, "exclude_domains"),
        ({"exclude_domains": [3]}, "exclude_domains"),
        ({"exclude_sources": [1]}, "exclude_sources"),
        ({"exclude_sources": 5}, "exclude_sources"),
        ({"exclude_targets": {"a": 1}}, "exclude_targets"),
        ({"export_path": "/abs/graph.json"}, "export_path"),
        ({"export_path": "\\abs\\graph.json"}, "export_path"),
        ({"export_path": "../graph.json"}, "export_path"),
        ({"export_path": "a/../../graph.json"}, "export_path"),
        ({"export_path": "a/.."}, "export_path"),
        ({"export_path": "a\\..\\graph.json"}, "export_path"),
        ({"export_path": "C:/graph.json"}, "export_path"),
        ({"export_path": ""}, "export_path"),
        ({"export_path": 5}, "export_path"),
        ({"strings": {"credits_title": 3}}, "strings"),
        ({"strings": "x"}, "strings"),
    ],
)
def test_bad_value_rejected_with_option_name(options: dict[str, Any], name: str) -> None:
    key, _message = only_failure(options)
    assert key == name


def test_bad_regex_message_names_the_pattern() -> None:
    _key, message = only_failure({"exclude_urls": ["fine", "(unclosed"]})
    assert "(unclosed" in message


@pytest.mark.parametrize("domain", ["https://x.com/", "a b"])
def test_bad_domain_message_names_the_value(domain: str) -> None:
    _key, message = only_failure({"exclude_domains": [domain]})
    assert repr(domain) in message or domain in message
    assert "domain" in message


def test_bad_export_path_message_names_the_value() -> None:
    _key, message = only_failure({"export_path": "../x.json"})
    assert "../x.json" in message


def test_bad_value_does_not_hide_unknown_key() -> None:
    # MkDocs stops at the first bad value, but unknown keys are still reported.
    _cfg, failed, _ = validate({"snippet_length": "x", "snipet_length": 3})
    assert set(failed) == {"snippet_length", "snipet_length"}


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("snippet_lenght", "snippet_length"),
        ("exclude_domain", "exclude_domains"),
        ("backlink", "backlinks"),
        ("autoappend", "auto_append"),
        ("ignore_rels", "ignore_rel"),
    ],
)
def test_unknown_key_is_an_error_suggesting_close_name(key: str, suggestion: str) -> None:
    _cfg, failed, warnings = validate({key: 10})
    assert list(failed) == [key]
    assert f"Did you mean '{suggestion}'?" in failed[key]
    assert warnings == []


def test_unknown_key_without_close_name_has_no_suggestion() -> None:
    _cfg, failed, _warnings = validate({"xyzzy": 1})
    assert list(failed) == ["xyzzy"]
    assert "Unknown option" in failed["xyzzy"]
    assert "Did you mean" not in failed["xyzzy"]


def test_unknown_key_in_strings_is_an_error() -> None:
    # A misspelt label would be silently ignored without --strict, exactly what `validate`
    # turns into an error for top-level options.
    _cfg, failed, warnings = validate({"strings": {"credit_title": "Sources"}})
    assert "strings" in failed, (failed, warnings)
    assert "credit_title" in failed["strings"]


# --------------------------------------------------------------------------- option classes


def test_domain_patterns_directly() -> None:
    option = DomainPatterns()
    assert option.default == []
    assert option.run_validation(["B.org", "a.org", "*.C.org"]) == ("*.c.org", "a.org", "b.org")
    assert option.run_validation([]) == ()
    assert option.run_validation(["xn--caf-dma.fr", "under_score.org", "localhost"]) == (
        "localhost",
        "under_score.org",
        "xn--caf-dma.fr",
    )
    with pytest.raises(ValidationError):
        option.run_validation(["https://x.com/"])


def test_regex_list_directly() -> None:
    option = RegexList()
    assert option.default == []
    (pattern,) = option.run_validation([r"^https://x\.org/"])
    assert pattern.search("https://x.org/a")
    with pytest.raises(ValidationError, match="Invalid regular expression"):
        option.run_validation(["*"])


@pytest.mark.parametrize(
    "value",
    [
        ["drafts/*", "!drafts/keep.md", "*.tmp.md"],
        "drafts/*\n!drafts/keep.md\n*.tmp.md\n",
        "  \ndrafts/*\n\n!drafts/keep.md\n*.tmp.md",
    ],
)
def test_page_patterns_list_and_multiline_string(value: Any) -> None:
    spec = PagePatterns().run_validation(value)
    assert spec.match_file("drafts/x.md")
    assert not spec.match_file("drafts/keep.md")
    assert spec.match_file("a/b.tmp.md")
    assert not spec.match_file("a/b.md")


def test_page_patterns_empty() -> None:
    assert not PagePatterns().run_validation([]).match_file("a.md")
    assert not PagePatterns().run_validation("").match_file("a.md")


@pytest.mark.parametrize("value", [5, None, ["ok", 1], {"a": "b"}])
def test_page_patterns_rejects_other_types(value: Any) -> None:
    with pytest.raises(ValidationError):
        PagePatterns().run_validation(value)


@pytest.mark.parametrize("value", ["graph.json", "a/b/graph.json", "a..b.json", ".hidden.json"])
def test_relative_file_accepts(value: str) -> None:
    assert RelativeFile(default="x.json").run_validation(value) == value


@pytest.mark.parametrize(
    "value", ["/graph.json", "\\graph.json", "..", "../a.json", "a/../../b.json", "c:x.json", ""]
)
def test_relative_file_rejects(value: str) -> None:
    with pytest.raises(ValidationError, match="relative path inside site_dir"):
        RelativeFile(default="x.json").run_validation(value)


# --------------------------------------------------------------------------- page options


def test_page_options_default_when_key_absent() -> None:
    options = page_options({}, "a.md")
    assert options is ALL_ON
    assert (options.track, options.credits, options.backlinks) == (True, True, True)
    # Validated or not, the switches are the same plain tuple.
    assert page_options({"backlinks": {}}, "a.md") == options
    assert type(page_options({"backlinks": {"credits": False}}, "a.md")) is PageSwitches


@pytest.mark.parametrize("value", [True, False])
def test_page_options_boolean_sets_all(value: bool) -> None:
    options = page_options({"backlinks": value, "title": "x"}, "a.md")
    assert (options.track, options.credits, options.backlinks) == (value, value, value)


def test_page_options_mapping_defaults_the_rest() -> None:
    options = page_options({"backlinks": {"credits": False}}, "a.md")
    assert (options.track, options.credits, options.backlinks) == (True, False, True)
    options = page_options({"backlinks": {"track": False, "backlinks": False}}, "a.md")
    assert (options.track, options.credits, options.backlinks) == (False, True, False)
    options = page_options({"backlinks": {}}, "a.md")
    assert (options.track, options.credits, options.backlinks) == (True, True, True)


@pytest.mark.parametrize("value", ["no", None, 0, 1, ["track"], 2.0])
def test_page_options_invalid_type_names_file(value: Any) -> None:
    with pytest.raises(PageOptionsError) as info:
        page_options({"backlinks": value}, "blog/post.md")
    message = str(info.value)
    assert message.startswith("blog/post.md:")
    assert "backlinks" in message


def test_page_options_unknown_key_names_file_and_key() -> None:
    with pytest.raises(PageOptionsError) as info:
        page_options({"backlinks": {"trak": False}}, "blog/post.md")
    message = str(info.value)
    assert message.startswith("blog/post.md:")
    assert "trak" in message


def test_page_options_bad_value_names_file_and_key() -> None:
    with pytest.raises(PageOptionsError) as info:
        page_options({"backlinks": {"credits": "off"}}, "notes/x.md")
    message = str(info.value)
    assert message.startswith("notes/x.md:")
    assert "credits" in message


def test_page_options_error_is_value_error() -> None:
    assert issubclass(PageOptionsError, ValueError)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"mentions": {"aliases": ["http://[::1"]}}, "is not a site address"),
        ({"mentions": {"sources": [{"jf2": "http://[::1/feed"}]}}, "must be an http(s) URL"),
    ],
)
def test_an_address_that_cannot_be_parsed_fails_validation_naming_it(
    options: dict[str, Any], says: str
) -> None:
    """`urlsplit` raises on a broken IPv6 literal: that must be the option's error, not a
    traceback out of MkDocs' config loading."""
    _, failed, _ = validate(options)
    assert list(failed) == ["mentions"]
    assert says in failed["mentions"] and "[::1" in failed["mentions"]


# --------------------------------------------------------------------------- written with dots


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("metadata.ttl", 30),
        ("strings.credits_title", "Quellen"),
        ("outreach.tone", "brief"),
        ("mentions.avatars", "none"),
    ],
)
def test_an_option_written_with_a_dot_fails_showing_the_nested_form(key: str, value: Any) -> None:
    _cfg, failed, warnings = validate({key: value})
    assert list(failed) == [key] and warnings == []
    assert "not written with a dot" in failed[key]
    group, name = key.split(".")
    shown = yaml.safe_load(failed[key].split("\n\n", 1)[1])
    assert shown == {"plugins": [{"backlinks": {group: {name: value}}}]}
    # What the message shows is what works.
    cfg, failed, warnings = validate(shown["plugins"][0]["backlinks"])
    assert failed == {} and warnings == []
    assert cfg[group][name] == value


def test_a_misspelt_option_written_with_a_dot_is_named_and_corrected() -> None:
    _cfg, failed, _ = validate({"metadata.tll": 3})
    message = failed["metadata.tll"]
    assert "'metadata' has no option 'tll'; the example uses 'ttl'." in message
    assert "      metadata:\n          ttl: 3\n" in message


@pytest.mark.parametrize("key", ["credits.title", "metdata.ttl", "xyzzy.a"])
def test_a_dotted_name_that_is_no_group_stays_an_unknown_option(key: str) -> None:
    _cfg, failed, _ = validate({key: 1})
    assert failed[key].startswith("Unknown option.")


def write_site(root: Path, options: dict[str, Any], **mkdocs_options: Any) -> Path:
    """A one-page site's mkdocs.yml with these plugin options; its path."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    config = {"site_name": "T", **mkdocs_options, "plugins": [{"backlinks": options}]}
    path = root / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def test_a_dotted_option_in_mkdocs_yml_stops_loading_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_site(tmp_path, {"metadata.ttl": 30})
    with pytest.raises(Abort):
        load_config(str(path))
    assert "Plugin 'backlinks' option 'metadata.ttl': " in caplog.text
    assert "      metadata:\n          ttl: 30" in caplog.text
    assert "Unrecognised configuration name" not in caplog.text


@pytest.mark.slow
def test_a_build_with_a_dotted_option_fails_showing_the_nested_form(make_site: MakeSite) -> None:
    site = make_site({"index.md": "# Home\n"}, {"strings.credits_title": "Quellen"})
    result = site.run_cli()
    assert result.returncode != 0
    assert "option 'strings.credits_title'" in result.stderr
    assert "      strings:\n          credits_title: Quellen" in result.stderr
    assert not (site.site_dir / "index.html").exists()


# --------------------------------------------------------------------------- the reader's language


@pytest.mark.parametrize(
    ("theme", "credits_title"),
    [
        ({"name": "material", "language": "de"}, "Zitierte Quellen"),
        ({"name": "material", "language": "zh-TW"}, "引用來源"),
        ({"name": "material", "language": "sv"}, "Works cited"),  # Material has it, we don't
        # Material shows its pages in `language`, whatever `locale` says.
        ({"name": "material", "language": "en", "locale": "fr"}, "Works cited"),
        ({"name": "material"}, "Works cited"),
        ({"name": "mkdocs", "locale": "fr"}, "Sources citées"),
        ({"name": "readthedocs", "locale": "pt_BR"}, "Fontes citadas"),
        ({"name": "mkdocs"}, "Works cited"),
    ],
)
def test_the_sections_speak_the_themes_language(
    tmp_path: Path, theme: dict[str, str], credits_title: str
) -> None:
    config = load_config(str(write_site(tmp_path, {}, theme=theme)))
    strings = section_settings(config.plugins["backlinks"].config, config).strings
    assert strings is not None and strings["credits_title"] == credits_title


def test_a_regional_language_uses_its_own_words_and_its_languages(tmp_path: Path) -> None:
    config = load_config(
        str(write_site(tmp_path, {}, theme={"name": "readthedocs", "locale": "pt_BR"}))
    )
    strings = section_settings(config.plugins["backlinks"].config, config).strings
    assert strings is not None
    assert strings["likes"] == "{count} curtidas" and strings["someone"] == "Alguém"


def test_a_string_the_user_sets_wins_over_the_languages(tmp_path: Path) -> None:
    options = {"strings": {"credits_title": "Literatur", "more_entries": ""}}
    path = write_site(tmp_path, options, theme={"name": "material", "language": "de"})
    config = load_config(str(path))
    strings = section_settings(config.plugins["backlinks"].config, config).strings
    assert strings is not None
    assert strings["credits_title"] == "Literatur"
    assert strings["more_entries"] == ""  # set, even empty: the user's
    assert strings["backlinks_title"] == "Seiten, die hierher verlinken"
