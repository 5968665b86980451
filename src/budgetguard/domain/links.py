"""The link a notification carries to a page of the console (README "The shop's link in
notifications"): a shop's contacts get the shop's own read-only page, `/s/<signed token>`, made
when the message is sent; operators (their channels and the console) get the shop's page in the
console, `/shops/<id>`, behind sign-in. Without BUDGETGUARD_PUBLIC_URL there is no link."""

from __future__ import annotations

from typing import NamedTuple

CONSOLE_SHOP_PATH = "/shops/"


class Link(NamedTuple):
    """Where a message's reader can look at the shop."""

    url: str
    console: bool = False
    """The shop's page in the console (for operators), not the shop's own page."""


def console_link(public_url: str | None, shop_id: int) -> Link | None:
    """The shop's page in the console under `public_url`; None without one."""
    if public_url is None:
        return None
    return Link(f"{public_url}{CONSOLE_SHOP_PATH}{shop_id}", console=True)
