# ruff: noqa: RUF001  (translations hold other scripts and typographic punctuation)
"""The sections' headings and labels in the languages the plugin ships.

A site's readers see the sections in the language its theme is set to (`theme.language` in
Material, `theme.locale` in the mkdocs and readthedocs themes), so a German site does not show
English headings under German navigation. Each language is a plain dict of the `strings`
options; a regional set (`pt-BR`) lists only what differs from its language's (`pt`), and
what a language lacks is English. Wording follows what each language's readers meet in
documentation sites, Material's own translations first.

Counts are written as "label: {count}" where the language inflects a noun in more ways than
one/several (Polish, Russian), as Material's translations do for search results: the
`strings` options have one form for one and one for several, and "5 лайка" would be wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["ENGLISH", "TRANSLATIONS", "language_chain", "strings_for"]

ENGLISH: Final[Mapping[str, str]] = {
    "credits_title": "Works cited",
    "backlinks_title": "Pages that link here",
    "section_separator": " \u203a ",
    "cited_times": "cited {count} times",
    "mentions_title": "Elsewhere on the web",
    "replied": "replied",
    "mentioned": "mentioned this",
    "rsvp": "RSVP {answer}",
    "like": "{count} like",
    "likes": "{count} likes",
    "repost": "{count} repost",
    "reposts": "{count} reposts",
    "bookmark": "{count} bookmark",
    "bookmarks": "{count} bookmarks",
    "someone": "Someone",
    "by_author": "by",
    "broken_label": "link broken",
    "gone_label": "gone",
    "more_entries": "{count} more",
}
"""The defaults, and what any language that lacks a string falls back to."""

_ZH_HANT: Final[Mapping[str, str]] = {
    "credits_title": "引用來源",
    "backlinks_title": "連結到此頁的頁面",
    "section_separator": " \u203a ",
    "cited_times": "引用 {count} 次",
    "mentions_title": "來自網路的提及",
    "replied": "回覆了",
    "mentioned": "提到了此頁",
    "rsvp": "回覆邀請：{answer}",
    "like": "{count} 個讚",
    "likes": "{count} 個讚",
    "repost": "{count} 次轉發",
    "reposts": "{count} 次轉發",
    "bookmark": "{count} 個收藏",
    "bookmarks": "{count} 個收藏",
    "someone": "匿名使用者",
    "by_author": "作者：",
    "broken_label": "連結失效",
    "gone_label": "已刪除",
    "more_entries": "還有 {count} 項",
}

TRANSLATIONS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": ENGLISH,
    "de": {
        "credits_title": "Zitierte Quellen",
        "backlinks_title": "Seiten, die hierher verlinken",
        "section_separator": " \u203a ",
        "cited_times": "{count}-mal zitiert",
        "mentions_title": "Anderswo im Web",
        "replied": "hat geantwortet",
        "mentioned": "hat dies erwähnt",
        "rsvp": "RSVP {answer}",
        "like": "{count} Like",
        "likes": "{count} Likes",
        "repost": "{count}-mal geteilt",
        "reposts": "{count}-mal geteilt",
        "bookmark": "{count} Lesezeichen",
        "bookmarks": "{count} Lesezeichen",
        "someone": "Jemand",
        "by_author": "von",
        "broken_label": "Link defekt",
        "gone_label": "entfernt",
        "more_entries": "{count} weitere",
    },
    "fr": {
        "credits_title": "Sources citées",
        "backlinks_title": "Pages qui renvoient ici",
        "section_separator": " \u203a ",
        "cited_times": "cité {count} fois",
        "mentions_title": "Ailleurs sur le Web",
        "replied": "a répondu",
        "mentioned": "a mentionné cette page",
        "rsvp": "RSVP {answer}",
        "like": "{count} j’aime",
        "likes": "{count} j’aime",
        "repost": "{count} partage",
        "reposts": "{count} partages",
        "bookmark": "{count} favori",
        "bookmarks": "{count} favoris",
        "someone": "Quelqu’un",
        "by_author": "par",
        "broken_label": "lien rompu",
        "gone_label": "supprimé",
        "more_entries": "{count} de plus",
    },
    "es": {
        "credits_title": "Fuentes citadas",
        "backlinks_title": "Páginas que enlazan aquí",
        "section_separator": " \u203a ",
        "cited_times": "citado {count} veces",
        "mentions_title": "En otros sitios de la web",
        "replied": "respondió",
        "mentioned": "mencionó esta página",
        "rsvp": "RSVP {answer}",
        "like": "{count} me gusta",
        "likes": "{count} me gusta",
        "repost": "compartido {count} vez",
        "reposts": "compartido {count} veces",
        "bookmark": "{count} marcador",
        "bookmarks": "{count} marcadores",
        "someone": "Alguien",
        "by_author": "por",
        "broken_label": "enlace roto",
        "gone_label": "eliminado",
        "more_entries": "{count} más",
    },
    "it": {
        "credits_title": "Fonti citate",
        "backlinks_title": "Pagine che puntano qui",
        "section_separator": " \u203a ",
        "cited_times": "citato {count} volte",
        "mentions_title": "Altrove sul web",
        "replied": "ha risposto",
        "mentioned": "ha citato questa pagina",
        "rsvp": "RSVP {answer}",
        "like": "{count} mi piace",
        "likes": "{count} mi piace",
        "repost": "{count} condivisione",
        "reposts": "{count} condivisioni",
        "bookmark": "{count} segnalibro",
        "bookmarks": "{count} segnalibri",
        "someone": "Qualcuno",
        "by_author": "di",
        "broken_label": "link non funzionante",
        "gone_label": "rimosso",
        "more_entries": "Altri {count}",
    },
    "pt": {
        "credits_title": "Fontes citadas",
        "backlinks_title": "Páginas que apontam para esta",
        "section_separator": " \u203a ",
        "cited_times": "citado {count} vezes",
        "mentions_title": "Noutros sítios da Web",
        "replied": "respondeu",
        "mentioned": "mencionou esta página",
        "rsvp": "RSVP {answer}",
        "like": "{count} gosto",
        "likes": "{count} gostos",
        "repost": "{count} partilha",
        "reposts": "{count} partilhas",
        "bookmark": "{count} marcador",
        "bookmarks": "{count} marcadores",
        "someone": "Alguém",
        "by_author": "por",
        "broken_label": "ligação quebrada",
        "gone_label": "removido",
        "more_entries": "Mais {count}",
    },
    "pt-BR": {
        "mentions_title": "Em outros lugares da web",
        "like": "{count} curtida",
        "likes": "{count} curtidas",
        "repost": "{count} compartilhamento",
        "reposts": "{count} compartilhamentos",
        "broken_label": "link quebrado",
    },
    "nl": {
        "credits_title": "Geciteerde bronnen",
        "backlinks_title": "Pagina’s die hiernaar linken",
        "section_separator": " \u203a ",
        "cited_times": "{count} keer geciteerd",
        "mentions_title": "Elders op het web",
        "replied": "reageerde",
        "mentioned": "noemde deze pagina",
        "rsvp": "RSVP {answer}",
        "like": "{count} like",
        "likes": "{count} likes",
        "repost": "{count} keer gedeeld",
        "reposts": "{count} keer gedeeld",
        "bookmark": "{count} bladwijzer",
        "bookmarks": "{count} bladwijzers",
        "someone": "Iemand",
        "by_author": "van",
        "broken_label": "dode link",
        "gone_label": "verwijderd",
        "more_entries": "Nog {count}",
    },
    "pl": {
        "credits_title": "Cytowane źródła",
        "backlinks_title": "Strony, które tu linkują",
        "section_separator": " \u203a ",
        "cited_times": "cytowano {count} razy",
        "mentions_title": "W innych miejscach w sieci",
        "replied": "odpowiedział(a)",
        "mentioned": "wspomniał(a) o tej stronie",
        "rsvp": "RSVP: {answer}",
        "like": "Polubienia: {count}",
        "likes": "Polubienia: {count}",
        "repost": "Udostępnienia: {count}",
        "reposts": "Udostępnienia: {count}",
        "bookmark": "Zakładki: {count}",
        "bookmarks": "Zakładki: {count}",
        "someone": "Ktoś",
        "by_author": "autorstwa",
        "broken_label": "niedziałający link",
        "gone_label": "usunięto",
        "more_entries": "{count} więcej",
    },
    "ja": {
        "credits_title": "引用元",
        "backlinks_title": "このページへのリンク",
        "section_separator": " \u203a ",
        "cited_times": "{count}回引用",
        "mentions_title": "ウェブ上の言及",
        "replied": "が返信しました",
        "mentioned": "がこのページに言及しました",
        "rsvp": "出欠：{answer}",
        "like": "{count}件のいいね",
        "likes": "{count}件のいいね",
        "repost": "{count}件のリポスト",
        "reposts": "{count}件のリポスト",
        "bookmark": "{count}件のブックマーク",
        "bookmarks": "{count}件のブックマーク",
        "someone": "匿名",
        "by_author": "著者：",
        "broken_label": "リンク切れ",
        "gone_label": "削除済み",
        "more_entries": "他 {count} 件",
    },
    "zh": {
        "credits_title": "引用来源",
        "backlinks_title": "链接到此页的页面",
        "section_separator": " \u203a ",
        "cited_times": "引用 {count} 次",
        "mentions_title": "来自网络的提及",
        "replied": "回复了",
        "mentioned": "提到了此页",
        "rsvp": "回复邀请：{answer}",
        "like": "{count} 个赞",
        "likes": "{count} 个赞",
        "repost": "{count} 次转发",
        "reposts": "{count} 次转发",
        "bookmark": "{count} 个收藏",
        "bookmarks": "{count} 个收藏",
        "someone": "匿名用户",
        "by_author": "作者：",
        "broken_label": "链接失效",
        "gone_label": "已删除",
        "more_entries": "还有 {count} 项",
    },
    "zh-Hant": _ZH_HANT,
    "ru": {
        "credits_title": "Источники",
        "backlinks_title": "Ссылки на эту страницу",
        "section_separator": " \u203a ",
        "cited_times": "ссылок: {count}",
        "mentions_title": "Упоминания в сети",
        "replied": "ответил(а)",
        "mentioned": "упомянул(а) эту страницу",
        "rsvp": "RSVP: {answer}",
        "like": "Нравится: {count}",
        "likes": "Нравится: {count}",
        "repost": "Репосты: {count}",
        "reposts": "Репосты: {count}",
        "bookmark": "Закладки: {count}",
        "bookmarks": "Закладки: {count}",
        "someone": "Аноним",
        "by_author": "автор:",
        "broken_label": "битая ссылка",
        "gone_label": "удалено",
        "more_entries": "Ещё {count}",
    },
}
"""Strings per language tag, as Material spells its `theme.language` values."""

_BY_TAG: Final = {tag.lower(): strings for tag, strings in TRANSLATIONS.items()}

_ALIASES: Final = {
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
}
"""Regions that write Chinese in traditional characters, whatever script their tag names."""


def language_chain(language: str | None) -> tuple[str, ...]:
    """The shipped sets that serve `language`, most general first, English always at the
    head: `pt_BR` gives en, pt, pt-br; `zh-TW` gives en, zh, zh-hant.

    Tags compare without case and with `_` (a babel locale, `theme.locale`) as `-`; one that
    matches nothing gives English alone.
    """
    tag = (language or "").strip().replace("_", "-").lower()
    parts = tag.split("-")
    chain = ["en"]
    for end in range(1, len(parts) + 1):
        prefix = "-".join(parts[:end])
        name = _ALIASES.get(prefix, prefix)
        if name in _BY_TAG and name not in chain:
            chain.append(name)
    return tuple(chain)


def strings_for(language: str | None) -> dict[str, str]:
    """Every string in `language`, each from its most specific set that has it."""
    strings: dict[str, str] = {}
    for tag in language_chain(language):
        strings.update(_BY_TAG[tag])
    return strings
