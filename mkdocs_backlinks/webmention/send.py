"""Temporary re-exports for the restructure; removed once importers use the new modules."""

from mkdocs_backlinks.webmention.deliver import Report, Sender, deliver
from mkdocs_backlinks.webmention.live import (
    BuiltSite,
    LivePage,
    content_digest,
    live_check,
    live_links,
    read_built_site,
)
from mkdocs_backlinks.webmention.outcomes import (
    DELIVERED,
    FINAL,
    REASON_LENGTH,
    RETRY,
    Delivery,
    delivery_from_discovery,
    delivery_of,
    printable,
    short_reason,
    valid_web_url,
)
from mkdocs_backlinks.webmention.plan import (
    IN_USE,
    Action,
    Plan,
    Step,
    cited_targets,
    is_old_address,
    plan_sends,
    split_moves,
)
from mkdocs_backlinks.webmention.record import Recorder as _Recorder
from mkdocs_backlinks.webmention.record import apply_outcome

__all__ = [
    "DELIVERED",
    "FINAL",
    "IN_USE",
    "REASON_LENGTH",
    "RETRY",
    "Action",
    "BuiltSite",
    "Delivery",
    "LivePage",
    "Plan",
    "Report",
    "Sender",
    "Step",
    "_Recorder",
    "apply_outcome",
    "cited_targets",
    "content_digest",
    "deliver",
    "delivery_from_discovery",
    "delivery_of",
    "is_old_address",
    "live_check",
    "live_links",
    "plan_sends",
    "printable",
    "read_built_site",
    "short_reason",
    "split_moves",
    "valid_web_url",
]
