"""The sections' look in a real browser: the sample site built in four looks (mkdocs,
readthedocs, Material, Material slate), served on 127.0.0.1 and measured in headless Chromium.

Built, served and opened through scripts/screenshots.py, so the pages checked here are the
ones whose screenshots the docs show. Each check reads what the browser computed (styles,
boxes, colours), never the stylesheet's text: a theme rule that outweighs ours fails it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scripts.screenshots import (
    LOOKS,
    ROOT,
    WIDTHS,
    build_sample,
    build_site,
    copy_sample,
    open_page,
    serve,
    shoot,
    shot_name,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

MATERIAL = ("material", "material-slate")
CASES = [(look, width) for look in LOOKS for width in WIDTHS]
FACES = ".backlinks-face, .backlinks-reactions__more, .backlinks-avatar"
MIN_CONTRAST = 4.5

# Shared page-side helpers: the sections' elements, a colour as RGBA through a canvas (so any
# CSS colour syntax the browser computes is read the same way), the background an element
# is painted on (its own and its ancestors' colours composited over the white canvas), and
# WCAG's contrast ratio.
HELPERS = """
const sections = () => [...document.querySelectorAll('section.backlinks')];
const inSections = (selector) => sections().flatMap((s) => [...s.querySelectorAll(selector)]);
const canvas = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
const rgba = (css) => {
  canvas.clearRect(0, 0, 1, 1);
  canvas.fillStyle = '#000';
  canvas.fillStyle = css;
  canvas.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = canvas.getImageData(0, 0, 1, 1).data;
  return [r, g, b, a / 255];
};
const over = ([r, g, b, a], [R, G, B]) =>
  [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a), 1];
const background = (el) => {
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const color = rgba(getComputedStyle(node).backgroundColor);
    if (color[3] > 0) layers.push(color);
    if (color[3] >= 1) break;
  }
  return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
};
const luminance = (rgb) => {
  const [r, g, b] = rgb.slice(0, 3).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (el) => {
  const bg = background(el);
  const fg = over(rgba(getComputedStyle(el).color), bg);
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
// A heading's permalink is the theme's own (Material shows it only on hover), styled as on the
// page's own headings: not ours to judge.
const hidden = (el) =>
  el.closest('.backlinks-visually-hidden, details:not([open]) > :not(summary), .headerlink');
const label = (el) => el.tagName.toLowerCase()
  + (el.className ? '.' + [...el.classList].join('.') : '')
  + ' "' + el.textContent.trim().slice(0, 30) + '"';
"""


def run(page: Page, body: str) -> Any:
    """Evaluate `body` (statements ending in `return`) after the helpers, in the page."""
    return page.evaluate(f"() => {{ {HELPERS}\n{body} }}")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Each look's base URL: the sample built in it and served, as the screenshots are."""
    parent = tmp_path_factory.mktemp("looks")
    with ExitStack() as stack:
        yield {look: stack.enter_context(serve(build_sample(look, parent))) for look in LOOKS}


IDS = [f"{look}-{width}" for look, width in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def page(request: pytest.FixtureRequest, browser: Browser, sites: dict[str, str]) -> Iterator[Page]:
    look, width = request.param
    page = open_page(browser, sites[look], width)
    yield page
    page.close()


@pytest.fixture(params=CASES, ids=IDS)
def printed(
    request: pytest.FixtureRequest, browser: Browser, sites: dict[str, str]
) -> Iterator[Page]:
    """The page as it prints: loaded for print media from the start, as printing does."""
    look, width = request.param
    page = open_page(browser, sites[look], width, media="print")
    yield page
    page.close()


def test_stylesheet_loads_and_applies(page: Page) -> None:
    found = run(
        page,
        """
        const sheet = [...document.styleSheets]
          .find((s) => (s.href || '').endsWith('/assets/stylesheets/backlinks.css'));
        const list = inSections('ul')[0];
        const site = inSections('.backlinks-credits__site-name')[0];
        return {
          rules: sheet ? sheet.cssRules.length : 0,
          listStyle: getComputedStyle(list).listStyleType,
          siteName: getComputedStyle(site).textTransform,
        };
        """,
    )
    assert found["rules"] > 10, "backlinks.css is not among the page's stylesheets"
    # Each theme gives lists bullets and leaves labels as written: these are ours.
    assert found["listStyle"] == "none"
    assert found["siteName"] == "uppercase"


def test_avatars_are_round_and_of_the_set_size(page: Page) -> None:
    faces = run(
        page,
        f"""
        const size = (el, property) => {{
          const probe = document.createElement('div');
          probe.style.cssText = `position: absolute; width: var(${{property}})`;
          el.closest('section').append(probe);
          const width = probe.getBoundingClientRect().width;
          probe.remove();
          return width;
        }};
        return inSections('{FACES}, .backlinks-face img').map((el) => {{
          const box = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          const avatar = el.matches('.backlinks-avatar');
          return {{
            what: label(el),
            width: box.width,
            height: box.height,
            set: size(el, avatar ? '--backlinks-avatar' : '--backlinks-face'),
            round: el.matches('.backlinks-reactions__more') ? 'pill' : 'circle',
            radii: ['TopLeft', 'TopRight', 'BottomRight', 'BottomLeft']
              .map((c) => style[`border${{c}}Radius`]),
          }};
        }});
        """,
    )
    assert len(faces) >= 10, faces  # the sample: 7 faces in three facepiles, 3 reply cards
    for face in faces:
        assert face["set"] > 0, face
        assert abs(face["height"] - face["set"]) < 0.5, face
        if face["round"] == "circle":
            assert abs(face["width"] - face["set"]) < 0.5, face
        else:  # "+N" grows sideways with its number, never narrower than a face
            assert face["width"] >= face["set"] - 0.5, face
        for radius in face["radii"]:
            value = float(radius.split()[0].rstrip("%px"))
            if radius.endswith("%"):
                assert value >= 50, face
            else:
                assert value >= min(face["width"], face["height"]) / 2 - 0.5, face


def test_faces_do_not_cover_text(page: Page) -> None:
    overlaps = run(
        page,
        f"""
        const faces = inSections('{FACES}');
        const texts = [];
        for (const section of sections()) {{
          const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
            const el = node.parentElement;
            if (!node.data.trim() || hidden(el) || faces.some((f) => f.contains(el))) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const rect of range.getClientRects()) texts.push([node.data.trim(), rect]);
          }}
        }}
        const found = [];
        for (const face of faces) {{
          const a = face.getBoundingClientRect();
          for (const [text, b] of texts) {{
            const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (x > 1 && y > 1) found.push(`${{label(face)}} covers "${{text.slice(0, 30)}}"`);
          }}
        }}
        return {{faces: faces.length, texts: texts.length, found}};
        """,
    )
    assert overlaps["faces"] and overlaps["texts"], overlaps
    assert overlaps["found"] == []


def test_sections_stay_inside_the_content_column(page: Page) -> None:
    found = run(
        page,
        """
        const out = [];
        for (const section of sections()) {
          const column = section.parentElement;
          const style = getComputedStyle(column);
          const box = column.getBoundingClientRect();
          const left = box.left + parseFloat(style.paddingLeft)
            + parseFloat(style.borderLeftWidth);
          const right = box.right - parseFloat(style.paddingRight)
            - parseFloat(style.borderRightWidth);
          for (const el of [section, ...section.querySelectorAll('*')]) {
            const r = el.getBoundingClientRect();
            if (!r.width || hidden(el)) continue;
            if (r.left < left - 1 || r.right > right + 1) {
              out.push(`${label(el)}: ${r.left}..${r.right} outside ${left}..${right}`);
            }
          }
        }
        const root = document.scrollingElement;
        return {out, scroll: root.scrollWidth, viewport: root.clientWidth};
        """,
    )
    assert found["out"] == []
    assert found["scroll"] <= found["viewport"], "the page scrolls sideways"


def test_no_empty_element(page: Page) -> None:
    empty = run(
        page,
        """
        return inSections('*').filter((el) =>
          !el.textContent.trim()
          && !el.matches('img[alt], br, wbr')
          && !el.querySelector('img[alt]')
          && !(el.getAttribute('aria-label') || el.getAttribute('title') || '').trim()
        ).map((el) => el.outerHTML.slice(0, 120));
        """,
    )
    assert empty == []


def unreadable(texts: list[dict[str, Any]]) -> list[str]:
    """The texts under 4.5:1, but links in the theme's own link colour: that is the theme's
    choice for every link of the page (the mkdocs theme's blue is under 3:1 on white)."""
    return [
        f"{t['what']}: {t['ratio']:.2f}"
        for t in texts
        if t["ratio"] < MIN_CONTRAST and not t.get("theme_link")
    ]


def text_contrasts(page: Page) -> list[dict[str, Any]]:
    """Every element of the sections holding visible text: what it is and its contrast."""
    return list(
        run(
            page,
            """
            const column = sections()[0].parentElement;
            const pageLink = [...column.querySelectorAll('a[href]')]
              .find((a) => !a.closest('section.backlinks, .headerlink, h1, h2, h3'));
            const linkColor = getComputedStyle(pageLink).color;
            return inSections('*').filter((el) =>
              [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim())
              && !hidden(el) && el.getClientRects().length
            ).map((el) => ({what: label(el), ratio: contrast(el),
                            snippet: el.matches('.backlinks-snippet'),
                            theme_link: el.matches('a')
                              && getComputedStyle(el).color === linkColor}));
            """,
        )
    )


@pytest.mark.parametrize("look", MATERIAL)
def test_snippets_readable_in_both_material_palettes(
    browser: Browser, sites: dict[str, str], look: str
) -> None:
    page = open_page(browser, sites[look], WIDTHS[0])
    try:
        texts = text_contrasts(page)
    finally:
        page.close()
    snippets = [text for text in texts if text["snippet"]]
    assert len(snippets) >= 5, texts
    assert unreadable(snippets) == []


def test_all_text_readable(page: Page) -> None:
    """Not only snippets: counts, dates, site labels and initials are muted or small too."""
    texts = text_contrasts(page)
    assert len(texts) > 20
    assert unreadable(texts) == []


def test_print(printed: Page) -> None:
    found = run(
        printed,
        """
        return sections().map((section) => {
          const style = getComputedStyle(section);
          const box = section.getBoundingClientRect();
          return {display: style.display, visibility: style.visibility,
                  height: box.height, width: box.width, text: section.innerText.length};
        });
        """,
    )
    assert len(found) == 2, found
    for section in found:
        assert section["display"] != "none" and section["visibility"] == "visible", section
        assert section["height"] > 50 and section["width"] > 200 and section["text"] > 50
    assert unreadable(text_contrasts(printed)) == []


def test_status_badges(browser: Browser, tmp_path: Path) -> None:
    """Works the ledger knows as broken or gone carry a badge, readable in every look; the
    sample's committed ledger has none, so a copy marks two of the page's works."""
    for look in LOOKS:
        root = copy_sample(look, tmp_path)
        ledger_file = root / "backlinks" / "ledger.json"
        ledger = json.loads(ledger_file.read_text(encoding="utf-8"))
        marked = iter(("broken", "gone"))
        for work in ledger["works"].values():
            if any(c["page"] == "posts/webmentions-101.md" for c in work["citations"]):
                status = next(marked, None)
                if status is None:
                    break
                work["meta"]["status"] = status
        ledger_file.write_text(json.dumps(ledger, indent=2), encoding="utf-8")
        with serve(build_site(root, look)) as base:
            page = open_page(browser, base, WIDTHS[1])
            badges = run(
                page,
                """
                return inSections('.backlinks-credits__status')
                  .map((el) => ({what: label(el), ratio: contrast(el)}));
                """,
            )
            page.close()
        assert len(badges) == 2, (look, badges)
        assert unreadable(badges) == [], look


def test_a_fold_prints_unfolded(browser: Browser, tmp_path: Path) -> None:
    """Past `max_entries` a list folds into a closed `<details>`; on paper there is no click,
    so print shows the folded entries and drops the summary that would open them."""
    root = copy_sample("material", tmp_path)
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    folded = text.replace("      offline: true\n", "      offline: true\n      max_entries: 2\n")
    assert folded != text
    config.write_text(folded, encoding="utf-8")
    with serve(build_site(root, "material")) as base:
        for media, folded_visible in (("screen", False), ("print", True)):
            page = open_page(browser, base, WIDTHS[0], media=media)
            found = run(
                page,
                """
                const folds = inSections('details.backlinks-more');
                return {
                  folds: folds.length,
                  entries: folds.flatMap((d) => [...d.querySelectorAll('li')])
                    .map((li) => li.checkVisibility()),
                  summaries: folds.map((d) => d.querySelector('summary').checkVisibility()),
                };
                """,
            )
            page.close()
            assert found["folds"] >= 2, found  # credits and backlinks both fold at 2
            assert found["entries"] == [folded_visible] * len(found["entries"]), media
            assert found["summaries"] == [not folded_visible] * found["folds"], media


def test_screenshots_are_shot_and_shown(page: Page, tmp_path: Path) -> None:
    """The script's shot of this page works, and the theming page shows every shot."""
    target = tmp_path / "shot.png"
    shoot(page, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    theming = (ROOT / "docs" / "theming.md").read_text(encoding="utf-8")
    for look in LOOKS:
        for width in WIDTHS:
            name = shot_name(look, width)
            assert (ROOT / "docs" / "assets" / "screenshots" / name).is_file()
            assert f"assets/screenshots/{name}" in theming
