"""How a notification reads to people: the subject line, the headline, a text progress bar."""

from __future__ import annotations

from decimal import Decimal

from budgetguard.domain.notification import Action, Kind, Notification

BAR_WIDTH = 20


def subject(notification: Notification) -> str:
    """Return the one-line summary, e.g. `Fashion Quasar: 100 % of your July 2020 budget is …`."""
    n = notification
    if n.kind is Kind.RESUMED:
        return (
            f"{n.shop_name}: your {n.month.label} budget has headroom again — "
            "your shop is back online"
        )
    line = f"{n.shop_name}: {max(n.thresholds)} % of your {n.month.label} budget is spent"
    if n.action is Action.PAUSED:
        return f"{line} — your shop is offline"
    return line


def action_taken(notification: Notification) -> str:
    """Return what budgetguard did about the shop, in words."""
    if notification.action is Action.PAUSED:
        return "The shop was taken offline: its products are no longer advertised."
    if notification.action is Action.RESUMED:
        return "The shop is back online: its products are advertised again."
    return "No action was taken: the shop's listing is unchanged."


def progress_bar(percent: Decimal, *, width: int = BAR_WIDTH) -> str:
    """Return `[██████████░░░░░░░░░░]` filled to `percent` (capped at full; whole cells)."""
    filled = min(width, max(0, int(percent * width // 100)))
    return "[" + "█" * filled + "░" * (width - filled) + "]"
