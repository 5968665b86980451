"""How the CLI shows what the use cases return: Rich tables for people, plain dicts for JSON.

Text that comes from outside (names, targets, errors) is shown with its control characters
escaped (domain/text.py) and never read as Rich markup; JSON lines keep the exact values.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetguard.domain.delivery import DeliveryRecord, DeliveryReport
from budgetguard.domain.recipients import Contact
from budgetguard.domain.retention import PruneReport
from budgetguard.domain.standing import ShopStatus
from budgetguard.domain.text import readable, safe_json

if TYPE_CHECKING:  # `status` and the other commands do not load the evaluation's use case
    from budgetguard.services.evaluation import CheckReport

# A table is rendered a page at a time, so that a million shops stream instead of piling up.
TABLE_PAGE = 500
TABLE_WIDTH = 120
LIST_WIDTH = 160


def print_check_summary(report: CheckReport) -> None:
    """Write one line of what the check did to stderr (stdout carries the notifications)."""
    e, d = report.evaluation, report.delivery
    # Two passes around a turn of the month (shops' time zones): each month named.
    evaluated = " and ".join(
        f"{p.budgets} budgets of {p.month.label} (evaluation {p.evaluation_id})"
        for p in e.passes or [e]
    )
    parts = [
        f"evaluated {evaluated}",
        f"{e.notifications} notifications queued",
        f"{e.paused} shops paused",
        f"{e.resumed} resumed",
        f"{len(e.skipped)} budgets skipped",
        f"{d.delivered} notifications delivered",
    ]
    if e.forecasts:
        parts.insert(2, f"{e.forecasts} of them forecasts")
    if e.created:
        parts.insert(1, f"{e.created} recurring budgets created")
    if d.retrying or d.dead:
        parts.append(f"{d.retrying} to retry, {d.dead} given up")
    sys.stderr.write("budgetguard: " + ", ".join(parts) + "\n")


def status_json(row: ShopStatus) -> dict[str, Any]:
    """Return a shop's status as a JSON object (amounts as decimal strings)."""
    return {
        "shop_id": row.shop_id,
        "shop_name": row.shop_name,
        "month": str(row.month),
        "budget": None if row.budget is None else str(row.budget),
        "spent": None if row.spent is None else str(row.spent),
        "percent": None if row.percent is None else float(row.percent),
        "online": row.online,
        "paused_by_budgetguard": row.paused_by_budgetguard,
        "thresholds_fired": list(row.thresholds_fired),
        "problem": row.problem,
        "policy": None if row.policy is None else row.policy.as_dict(),
    }


def print_status(rows: Iterable[ShopStatus]) -> None:
    """Print the shops as a table, a page at a time with the same column widths."""
    # Piped output gets a fixed width that fits every column; a terminal keeps its own.
    console = Console(width=None if sys.stdout.isatty() else TABLE_WIDTH)
    iterator = iter(rows)
    first = True
    while page := list(islice(iterator, TABLE_PAGE)):
        console.print(_table(page, header=first))
        first = False
    if first:
        console.print("No shops.")


def _table(rows: list[ShopStatus], *, header: bool) -> Table:
    table = Table(show_header=header, show_edge=False, pad_edge=False, box=None)
    table.add_column("Shop", justify="right", min_width=6)
    table.add_column("Name", width=24, no_wrap=True, overflow="ellipsis")
    table.add_column("Month", min_width=7)
    table.add_column("Budget", justify="right", min_width=13)
    table.add_column("Spent", justify="right", min_width=13)
    table.add_column("%", justify="right", min_width=8)
    table.add_column("Online", min_width=6)
    table.add_column("Paused (bg)", min_width=11)
    table.add_column("Fired", min_width=9)
    for row in rows:
        percent = row.problem or ("-" if row.percent is None else f"{row.percent}")
        table.add_row(
            str(row.shop_id),
            cell(row.shop_name),
            str(row.month),
            "-" if row.budget is None else f"{row.budget:,}",
            "-" if row.spent is None else f"{row.spent:,}",
            percent if row.problem is None else "unusable",
            "yes" if row.online else "no",
            "yes" if row.paused_by_budgetguard else "",
            ", ".join(str(t) for t in row.thresholds_fired),
        )
    return table


def contact_json(contact: Contact) -> dict[str, Any]:
    """Return a contact as a JSON object for people: never its secret."""
    return {
        "id": contact.id,
        "shop_id": contact.shop_id,
        "kind": contact.kind.value,
        "target": contact.shown_target,
        "has_secret": contact.secret is not None,
        "created_at": contact.created_at.isoformat(),
        "disabled_at": _iso(contact.disabled_at),
        "disabled_reason": contact.disabled_reason,
    }


def delivery_json(record: DeliveryRecord) -> dict[str, Any]:
    """Return a delivery record as a JSON object."""
    return {
        "id": record.id,
        "notification_id": record.notification_id,
        "shop_id": record.shop_id,
        "channel": record.channel.value,
        "recipient": record.recipient_label,
        "status": record.status.value,
        "attempts": record.attempts,
        "next_attempt_at": _iso(record.next_attempt_at),
        "last_error": record.last_error,
        "created_at": record.created_at.isoformat(),
        "delivered_at": _iso(record.delivered_at),
    }


def print_deliveries(rows: list[dict[str, Any]]) -> None:
    """Print delivery records (as `delivery_json` gives them) as a table."""
    table = new_table(
        "Id", "Notif.", "Shop", "Channel", "Recipient", "Status", "Tries", "Next", "Last error"
    )
    for r in rows:
        cells = [r["id"], r["notification_id"], r["shop_id"], r["channel"], r["recipient"]]
        cells += [r["status"], r["attempts"], r["next_attempt_at"], r["last_error"]]
        table.add_row(*(cell(value) for value in cells))
    print_table(table)


def print_delivery_summary(report: DeliveryReport) -> None:
    """Write one line of what a delivery run did to stderr."""
    parts = [f"{report.dispatched} notifications dispatched", f"{report.delivered} delivered"]
    if report.retrying or report.dead:
        parts.append(f"{report.retrying} to retry, {report.dead} given up")
    sys.stderr.write("budgetguard: " + ", ".join(parts) + "\n")


PRUNED = {
    "deliveries": ("bg_deliveries", "delivered before"),
    "notifications": ("bg_notifications", "queued before"),
    "spend_events": ("bg_spend_events", "received before"),
    "alerts": ("bg_alerts", "of months before"),
    "forecasts": ("bg_forecasts", "of months before"),
    "evaluations": ("bg_evaluations", "begun before"),
    "spend_days": ("bg_spend_days", "of days before"),
    "usage": ("bg_usage", "of months before"),
}


def print_prune_report(report: PruneReport) -> None:
    """Print the rows a prune removed (or would remove) per table, with each cutoff."""
    verb = "would remove" if report.dry_run else "removed"
    for kind, (table, what) in PRUNED.items():
        cutoff = report.cutoffs.of(kind)
        kept = "kept forever" if cutoff is None else f"{what} {cutoff.isoformat()}"
        typer.echo(f"{table}: {verb} {report.removed[kind]:,} ({kept})")


def cell(value: object) -> Text:
    """A table cell showing `value` as it is: controls escaped, brackets not read as markup."""
    return Text("" if value is None else readable(str(value)))


def json_line(value: object) -> str:
    """`value` as one line of JSON (JSON Lines), safe to print on a terminal."""
    return safe_json(json.dumps(value, ensure_ascii=False)) + "\n"


def new_table(*columns: str) -> Table:
    """A borderless table whose cells fold rather than being cut."""
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_table(table: Table) -> None:
    Console(width=None if sys.stdout.isatty() else LIST_WIDTH).print(table)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
