"""The shipped translations of the sections' strings, and which set serves a language tag."""

from __future__ import annotations

import re
from pathlib import Path

import material
import pytest

from mkdocs_backlinks.config import StringsConfig
from mkdocs_backlinks.sections.locales import ENGLISH, TRANSLATIONS, language_chain, strings_for

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
REQUIRED = ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ja", "zh", "ru")
REGIONAL = {"pt-BR": "pt"}
"""Sets that list only what differs from their language's."""


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_string_option_has_an_english_default_and_nothing_else() -> None:
    options = [name for name, _ in StringsConfig._schema]
    assert sorted(options) == sorted(ENGLISH)


def test_the_required_languages_are_shipped() -> None:
    assert set(REQUIRED) <= set(TRANSLATIONS)


@pytest.mark.parametrize("tag", sorted(set(TRANSLATIONS) - set(REGIONAL)))
def test_each_language_has_every_string(tag: str) -> None:
    assert sorted(TRANSLATIONS[tag]) == sorted(ENGLISH)


@pytest.mark.parametrize("tag", sorted(REGIONAL))
def test_a_regional_set_only_changes_strings_its_language_has(tag: str) -> None:
    assert set(TRANSLATIONS[tag]) < set(TRANSLATIONS[REGIONAL[tag]])


@pytest.mark.parametrize("tag", sorted(TRANSLATIONS))
def test_each_string_keeps_the_english_placeholders(tag: str) -> None:
    for key, text in TRANSLATIONS[tag].items():
        assert placeholders(text) == placeholders(ENGLISH[key]), (tag, key, text)
        assert text.strip(), (tag, key)
        if key != "section_separator":
            assert text == text.strip(), (tag, key, text)


@pytest.mark.parametrize("tag", sorted(TRANSLATIONS))
def test_each_tag_is_spelt_as_material_names_its_language(tag: str) -> None:
    """`theme.language` is matched against these tags, so they must be Material's."""
    languages = Path(material.__file__).parent / "templates" / "partials" / "languages"
    assert (languages / f"{tag}.html").is_file()


@pytest.mark.parametrize(
    ("language", "chain"),
    [
        ("de", ("en", "de")),
        ("de-CH", ("en", "de")),
        ("pt-BR", ("en", "pt", "pt-br")),
        ("pt_BR", ("en", "pt", "pt-br")),  # a babel locale, as `theme.locale` gives it
        ("PT-br", ("en", "pt", "pt-br")),
        ("zh", ("en", "zh")),
        ("zh-Hans", ("en", "zh")),
        ("zh-CN", ("en", "zh")),
        ("zh-Hant", ("en", "zh", "zh-hant")),
        ("zh-TW", ("en", "zh", "zh-hant")),
        ("zh_Hant_TW", ("en", "zh", "zh-hant")),
        ("zh-HK", ("en", "zh", "zh-hant")),
        ("en", ("en",)),
        ("xx", ("en",)),
        ("", ("en",)),
        (None, ("en",)),
        ("  fr ", ("en", "fr")),
    ],
)
def test_which_sets_serve_a_language(language: str | None, chain: tuple[str, ...]) -> None:
    assert language_chain(language) == chain


def test_a_regional_set_falls_back_to_its_language_then_english() -> None:
    strings = strings_for("pt-BR")
    assert strings["likes"] == "{count} curtidas"  # Brazil's own
    assert strings["credits_title"] == "Fontes citadas"  # Portuguese
    assert sorted(strings) == sorted(ENGLISH)


def test_traditional_chinese_for_taiwan_and_simplified_for_china() -> None:
    assert strings_for("zh-TW")["credits_title"] == "引用來源"
    assert strings_for("zh-CN")["credits_title"] == "引用来源"


def test_an_unknown_language_is_english() -> None:
    assert strings_for("xx") == dict(ENGLISH)


def test_the_strings_returned_are_a_copy() -> None:
    strings_for("de")["credits_title"] = "changed"
    assert strings_for("de")["credits_title"] == "Zitierte Quellen"
