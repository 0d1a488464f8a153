"""Temporary re-exports for the restructure; removed once importers use the new modules.

The report used to be a dict. These take and give the dict (`outreach.json`'s shape) as the
old functions of `outreach.desk` did, for the importers not yet moved to the typed `Report`;
each one also takes a `Report`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from mkdocs_backlinks.ledger.ledger import Citation, Ledger
from mkdocs_backlinks.outreach import formats, lists, report
from mkdocs_backlinks.outreach.notes import NoteWriter
from mkdocs_backlinks.outreach.records import (
    BrokenRow,
    ContactRow,
    Note,
    RelationshipRow,
    Report,
    ReportSite,
    Route,
    Summary,
    WorkRow,
)
from mkdocs_backlinks.outreach.settings import Settings

__all__ = [
    "build_report",
    "csv_chunks",
    "filter_rows",
    "html_chunks",
    "json_chunks",
    "lists_for",
    "markdown_chunks",
    "render_csv",
    "render_html",
    "render_markdown",
    "render_table",
    "typed",
    "write_lists",
]

AnyReport = Report | Mapping[str, Any]


def typed(document: AnyReport) -> Report:
    """`document` as a `Report`: the dict `Report.as_dict` gives, read back."""
    if isinstance(document, Report):
        return document
    return Report(
        schema=document["schema"],
        version=document["version"],
        generated=document["generated"],
        site=ReportSite(**document["site"]),
        config_file=document["config_file"],
        statuses=tuple(document["statuses"]),
        summary=Summary(**document["summary"]),
        contacts=tuple(_contact(row) for row in document["contacts"]),
        broken=tuple(
            BrokenRow(**{**item, "pages": tuple(item["pages"])}) for item in document["broken"]
        ),
        relationships=tuple(
            RelationshipRow(**{**rel, "suggestions": tuple(rel["suggestions"])})
            for rel in document["relationships"]
        ),
    )


def _contact(row: Mapping[str, Any] | ContactRow) -> ContactRow:
    if isinstance(row, ContactRow):
        return row
    return ContactRow(
        **{
            **row,
            "routes": tuple(Route(**route) for route in row["routes"]),
            "best_route": Route(**row["best_route"]),
            "works": tuple(_work(work) for work in row["works"]),
            "note": Note(**row["note"]),
            "suggestions": tuple(row["suggestions"]),
        }
    )


def _work(work: Mapping[str, Any]) -> WorkRow:
    citations = tuple(Citation(**c) for c in work["citations"])
    return WorkRow(**{**work, "citations": citations})


def build_report(ledger: Ledger, settings: Settings, writer: NoteWriter) -> dict[str, Any]:
    """`report.build_report`, as a dict."""
    return report.build_report(ledger, settings, writer).as_dict()


def filter_rows(
    document: AnyReport, statuses: Iterable[str] = (), site: str = ""
) -> dict[str, Any]:
    """`report.filter_rows`, as a dict."""
    return report.filter_rows(typed(document), statuses, site).as_dict()


def lists_for(
    ledger: Ledger, settings: Settings, writer: NoteWriter
) -> tuple[Ledger, dict[str, Any]]:
    """`lists.lists_for`, with the report as a dict."""
    updated, made = lists.lists_for(ledger, settings, writer)
    return updated, made.as_dict()


def write_lists(folder: Path, document: AnyReport) -> None:
    """`lists.write_lists` of a dict or a `Report`."""
    lists.write_lists(folder, typed(document))


def render_markdown(document: AnyReport) -> str:
    """`formats.render_markdown` of a dict or a `Report`."""
    return formats.render_markdown(typed(document))


def markdown_chunks(document: AnyReport) -> Iterator[str]:
    """`formats.markdown_chunks` of a dict or a `Report`."""
    return formats.markdown_chunks(typed(document))


def render_csv(document: AnyReport) -> str:
    """`formats.render_csv` of a dict or a `Report`."""
    return formats.render_csv(typed(document))


def csv_chunks(document: AnyReport) -> Iterator[str]:
    """`formats.csv_chunks` of a dict or a `Report`."""
    return formats.csv_chunks(typed(document))


def json_chunks(document: AnyReport) -> Iterator[str]:
    """`formats.json_chunks` of a dict or a `Report`."""
    return formats.json_chunks(typed(document))


def render_html(document: AnyReport) -> str:
    """`formats.render_html` of a dict or a `Report`."""
    return formats.render_html(typed(document))


def html_chunks(document: AnyReport) -> Iterator[str]:
    """`formats.html_chunks` of a dict or a `Report`."""
    return formats.html_chunks(typed(document))


def render_table(rows: Iterable[Mapping[str, Any] | ContactRow]) -> str:
    """`formats.render_table` of dict rows or `ContactRow`s."""
    return formats.render_table(_contact(row) for row in rows)
