"""Unit tests for `mkdocs_backlinks.links.snippets`: the sentence kept around each link."""

from __future__ import annotations

import random

import pytest

from mkdocs_backlinks.links.snippets import Sentences, collapse, sentence_around

ELLIPSIS = "\u2026"


def around(text: str, link: str, limit: int = 240, occurrence: int = 0) -> str:
    """`sentence_around` for the `occurrence`-th appearance of `link` in `text`."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(link, start + 1)
    return sentence_around(text, start, start + len(link), limit)


# --------------------------------------------------------------------------- collapse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a  b", "a b"),
        ("  a\n\tb \r\n c  ", "a b c"),
        ("", ""),
        ("   ", ""),
        ("one", "one"),
        ("a\u00a0 b", "a b"),  # non-breaking space is white space too
    ],
)
def test_collapse(text: str, expected: str) -> None:
    assert collapse(text) == expected


# --------------------------------------------------------------------------- sentence boundaries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("First one. Second has LINK here. Third one.", "Second has LINK here."),
        ("First one! Second has LINK here! Third one!", "Second has LINK here!"),
        ("First one? Second has LINK here? Third one?", "Second has LINK here?"),
        ("First one\u2026 Second has LINK here\u2026 Third.", "Second has LINK here\u2026"),
        ("Mixed. Really? Yes! Then LINK. After.", "Then LINK."),
        # closing quotes and brackets stay with the sentence they end
        ('He said "stop." Then LINK went. End.', "Then LINK went."),
        ("He said \u201cstop.\u201d Then LINK went. End.", "Then LINK went."),
        ("He said 'stop.' Then LINK went. End.", "Then LINK went."),
        ("(An aside.) Then LINK went. End.", "Then LINK went."),
        ("[Note.] Then LINK went. End.", "Then LINK went."),
        ('First. He said "see LINK." Last.', 'He said "see LINK."'),
        ("First. (See LINK.) Last.", "(See LINK.)"),
        ("First. She wrote \u201cLINK!\u201d Last.", "She wrote \u201cLINK!\u201d"),
        # a full stop not followed by white space does not end a sentence
        ("Version 1.5 has LINK here. Next.", "Version 1.5 has LINK here."),
        ("See example.com and LINK here. Next.", "See example.com and LINK here."),
        # new lines are white space after a sentence end
        ("First one.\nSecond LINK.\nThird.", "Second LINK."),
    ],
)
def test_sentence_boundaries(text: str, expected: str) -> None:
    assert around(text, "LINK") == expected


def test_no_boundary_gives_whole_text() -> None:
    text = "no boundary at all LINK and more words"
    assert around(text, "LINK") == text


def test_no_boundary_after_link_runs_to_end() -> None:
    assert around("Before. at the end LINK and the rest", "LINK") == "at the end LINK and the rest"


def test_white_space_collapsed() -> None:
    text = "  lots   of\n\n space\tbefore LINK\t here  "
    assert around(text, "LINK") == "lots of space before LINK here"


def test_link_at_very_start() -> None:
    assert around("LINK starts it. Next one.", "LINK") == "LINK starts it."
    assert around("LINK", "LINK") == "LINK"


def test_link_at_very_end() -> None:
    assert around("Prev. Ends with LINK", "LINK") == "Ends with LINK"
    assert around("Prev. Ends with LINK.", "LINK") == "Ends with LINK."


def test_link_text_containing_a_full_stop() -> None:
    # The link itself may contain a sentence end; the sentence is the one around the link.
    text = "Before. See Fig. 3 for this. After."
    start = text.index("Fig. 3")
    assert sentence_around(text, start, start + len("Fig. 3"), 240) == "See Fig. 3 for this."


def test_second_occurrence_uses_its_own_sentence() -> None:
    text = "One LINK here. Two LINK there."
    assert around(text, "LINK", occurrence=0) == "One LINK here."
    assert around(text, "LINK", occurrence=1) == "Two LINK there."


def test_sentence_exactly_at_limit_is_kept_whole() -> None:
    sentence = "Some words and LINK in it."
    assert around(sentence, "LINK", limit=len(sentence)) == sentence


# --------------------------------------------------------------------------- long sentences

WORDS = [f"word{i}" for i in range(80)]


def long_sentence(position: int) -> tuple[str, str]:
    """A long sentence with LINK after `position` words, inside a short text around it."""
    words = [*WORDS[:position], "LINK", *WORDS[position:]]
    sentence = " ".join(words) + "."
    return "Before this. " + sentence + " After that.", sentence


@pytest.mark.parametrize("limit", [10, 20, 33, 40, 64, 100, 200])
@pytest.mark.parametrize("position", [0, 1, 5, 40, 75, 79, 80])
def test_long_sentence_window(limit: int, position: int) -> None:
    text, sentence = long_sentence(position)
    result = around(text, "LINK", limit)
    assert len(result) <= limit
    assert "LINK" in result
    body = result.strip(ELLIPSIS)
    assert ELLIPSIS not in body
    assert body in sentence
    # an ellipsis marks exactly the sides that were cut
    assert result.startswith(ELLIPSIS) == (not sentence.startswith(body))
    assert result.endswith(ELLIPSIS) == (not sentence.endswith(body))


@pytest.mark.parametrize("limit", [20, 33, 40, 64, 100])
@pytest.mark.parametrize("position", [0, 5, 40, 75])
def test_long_sentence_window_keeps_whole_words(limit: int, position: int) -> None:
    text, sentence = long_sentence(position)
    body = around(text, "LINK", limit).strip(ELLIPSIS)
    assert set(body.split()) <= set(sentence.split())


@pytest.mark.parametrize("limit", [20, 30])
def test_long_sentence_drops_partial_word_right_after_link(limit: int) -> None:
    # The window's right edge falls inside the long word that directly follows the link: the
    # snippet is "cut at word boundaries", so that partial word must go, as it does on the left.
    text = (
        "Before. one two three four five six seven eight nine ten LINK extraordinarily long "
        "words follow here and there. After."
    )
    result = around(text, "LINK", limit)
    assert len(result) <= limit
    assert result.endswith("LINK" + ELLIPSIS), result


def test_long_sentence_centred_on_link() -> None:
    text, _sentence = long_sentence(40)
    result = around(text, "LINK", 60)
    assert result.startswith(ELLIPSIS)
    assert result.endswith(ELLIPSIS)
    before, _, after = result.strip(ELLIPSIS).partition("LINK")
    # the budget is shared between both sides of the link
    assert abs(len(before) - len(after)) <= 12


def test_long_sentence_link_at_start_has_no_leading_ellipsis() -> None:
    text = "LINK " + " ".join(WORDS)
    result = around(text, "LINK", 40)
    assert result.startswith("LINK ")
    assert result.endswith(ELLIPSIS)
    assert len(result) <= 40


def test_long_sentence_link_at_end_has_no_trailing_ellipsis() -> None:
    text = " ".join(WORDS) + " LINK"
    result = around(text, "LINK", 40)
    assert result.startswith(ELLIPSIS)
    assert result.endswith(" LINK")
    assert len(result) <= 40


def test_long_sentence_white_space_is_collapsed_in_window() -> None:
    text = "   ".join(WORDS[:30]) + " \n\t LINK \n\n " + "   ".join(WORDS[30:])
    result = around(text, "LINK", 50)
    assert len(result) <= 50
    assert "LINK" in result
    assert "  " not in result
    assert "\n" not in result
    assert "\t" not in result


def test_long_sentence_without_spaces() -> None:
    text = "a" * 100 + "LINK" + "b" * 100
    result = around(text, "LINK", 40)
    assert len(result) <= 40
    assert "LINK" in result
    assert result.startswith(ELLIPSIS)
    assert result.endswith(ELLIPSIS)


@pytest.mark.parametrize("limit", [10, 20, 30])
def test_link_text_longer_than_limit(limit: int) -> None:
    link = "a very long link text that has many words and is longer than any limit"
    text = " ".join(WORDS) + " " + link + " " + " ".join(WORDS) + "."
    result = around(text, link, limit)
    assert len(result) <= limit
    assert result.startswith(ELLIPSIS)
    assert result.endswith(ELLIPSIS)
    # what is shown is part of the link text
    assert result.strip(ELLIPSIS).strip() in link


def test_single_long_word_link_longer_than_limit() -> None:
    link = "x" * 50
    text = "Some words before " + link + " and some words after."
    result = around(text, link, 20)
    assert len(result) <= 20
    assert "xxxxxxxx" in result


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_tiny_limits_never_exceeded(limit: int) -> None:
    text, _ = long_sentence(40)
    assert len(around(text, "LINK", limit)) <= limit


# --------------------------------------------------------------------------- Sentences


SENTENCE_TEXTS = [
    "",
    "No boundary at all here",
    "One. Two! Three? Four",
    "A link.Then text. End.",
    "Ends here.  \n\n  Starts there. And\nmore.",
    "e.g. this (see Fig. 3). Next! ",
    "\u201cQuoted.\u201d Then \u2026 more. Last",
    "...!!!???",
]


@pytest.mark.parametrize("text", SENTENCE_TEXTS)
@pytest.mark.parametrize("limit", [20, 240])
def test_sentences_index_matches_sentence_around_everywhere(text: str, limit: int) -> None:
    """`Sentences` (a block with several links) must cut exactly as `sentence_around` (one
    link) for every span, including links that start or end right at a boundary."""
    sentences = Sentences(text)
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            assert sentences.around(start, end, limit) == sentence_around(
                text, start, end, limit
            ), (text, start, end)


def test_several_links_in_one_sentence_share_it() -> None:
    text = "First [a] and [b] here. Second [c]. Third"
    sentences = Sentences(text)
    spans = [(text.index(word), text.index(word) + len(word)) for word in ("[a]", "[b]", "[c]")]
    got = [sentences.around(start, end, 240) for start, end in spans]
    assert got == ["First [a] and [b] here.", "First [a] and [b] here.", "Second [c]."]
    # a link spanning a boundary keeps both sentences
    assert sentences.around(text.index("here"), text.index("Second") + 6, 240) == (
        "First [a] and [b] here. Second [c]."
    )


def spans_of(text: str, *words: str) -> list[tuple[int, int]]:
    return [(text.index(word), text.index(word) + len(word)) for word in words]


@pytest.mark.parametrize(
    ("text", "link", "others", "expected"),
    [
        (
            "Fixed the search plugin crashing on empty pages. (#2930, #2984)",
            "#2930",
            ("#2984",),
            "Fixed the search plugin crashing on empty pages. (#2930, #2984)",
        ),
        (
            "Added support for the blog in the sitemap, etc. (#2930, #2984)",
            "#2984",
            ("#2930",),
            "Added support for the blog in the sitemap, etc. (#2930, #2984)",
        ),
        # a sentence with words of its own besides the links stays alone
        ("First one. Then (see #12).", "#12", (), "Then (see #12)."),
        # nothing before: the link-only sentence is all there is
        ("(#1, #2). Next sentence.", "#1", ("#2",), "(#1, #2)."),
    ],
)
def test_link_only_sentence_joins_the_one_before(
    text: str, link: str, others: tuple[str, ...], expected: str
) -> None:
    spans = sorted(spans_of(text, link, *others))
    start, end = spans_of(text, link)[0]
    assert sentence_around(text, start, end, 240, spans) == expected
    assert Sentences(text).around(start, end, 240, spans) == expected


LONG = (
    "Improved rendering of tooltips in navigation and headings when using instant loading, "
    "which previously caused a flash of unstyled content on slow connections, and also fixed "
    "a bug where the search index was not updated after switching languages in the selector, "
    "see the discussion for details (#2930, #2984)"
)


def test_long_sentence_is_cut_to_whole_clauses_around_the_link() -> None:
    start, end = spans_of(LONG, "the discussion")[0]
    got = sentence_around(LONG, start, end, 240)
    assert got == (
        "\u2026which previously caused a flash of unstyled content on slow connections, and "
        "also fixed a bug where the search index was not updated after switching languages in "
        "the selector, see the discussion for details (#2930, #2984)"
    )
    assert len(got) <= 240
    assert Sentences(LONG).around(start, end, 240) == got


def test_clause_cuts_skip_commas_inside_parentheses() -> None:
    text = "Alpha beta gamma delta, epsilon (one, two, three) zeta [link] eta, theta iota."
    start, end = spans_of(text, "[link]")[0]
    assert sentence_around(text, start, end, 50) == (
        "\u2026epsilon (one, two, three) zeta [link] eta\u2026"
    )


def test_clause_longer_than_the_limit_falls_back_to_a_window() -> None:
    text = "word " * 60 + "[link] " + "word " * 60
    start, end = spans_of(text, "[link]")[0]
    got = sentence_around(text, start, end, 40)
    assert got.startswith("\u2026") and got.endswith("\u2026") and "[link]" in got
    assert len(got) <= 40


def test_a_snippet_is_never_longer_than_the_limit() -> None:
    """Random sentences of words, commas and dashes, links anywhere: the snippet, ellipses
    included, fits the limit (the clauses grown around a link once left no room for the
    ellipsis of the side still cut: one character over)."""
    rng = random.Random(7)
    words = ["then", "over", "the", "lazy,", "some", "brown", "dog", "a", "fox;", "-", "x:"]
    over = []
    for _ in range(4000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 40))) + "."
        limit = rng.randint(8, 60)
        start = rng.randrange(len(text))
        end = min(len(text), start + rng.randint(1, 8))
        for got in (
            sentence_around(text, start, end, limit),
            Sentences(text).around(start, end, limit),
        ):
            if len(got) > limit:
                over.append((text, start, end, limit, got))
    assert not over, over[:3]


def test_the_reported_snippet_fits() -> None:
    text = "then over the lazy, then some brown the some, dog over some."
    start = text.index("then some")
    got = sentence_around(text, start, start + 4, 40)
    assert len(got) <= 40
    assert "then" in got
