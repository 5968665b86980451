"""Each shop's own link: a URL of the console holding a signed token that names the shop.

`BUDGETGUARD_PUBLIC_URL/s/<token>` opens that shop's read-only page; the token is signed with
the console's secret (services/users.py `console_secret`: the setting, or the one generated
once in bg_signing_keys) and carries the instant it was made, so it expires
BUDGETGUARD_SHOP_LINK_DAYS later. A token that was altered, or signed with another secret, is
`LinkInvalid` (the page answers 404); one past its days is `LinkExpired` (410). The token sits
in the path, not the query: the API refuses anything named `token` in a query string.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from budgetguard.domain.errors import BudgetguardError
from budgetguard.services.uow import Context
from budgetguard.services.users import console_secret

SALT = "budgetguard.shop-link"
PATH = "/s/"


class LinkInvalid(BudgetguardError):
    """The token was not signed by this console (altered, truncated, another secret)."""


class LinkExpired(BudgetguardError):
    """The token was signed here but is older than BUDGETGUARD_SHOP_LINK_DAYS."""


class ShopLinks:
    """Makes and reads shop links with one secret."""

    def __init__(self, secret: str, *, public_url: str | None, days: int) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self.public_url = public_url
        self.valid_for = timedelta(days=days)

    @classmethod
    def of(cls, context: Context) -> ShopLinks:
        """The links of `context`'s settings (reads or makes the console's secret once)."""
        settings = context.settings
        return cls(
            console_secret(context=context),
            public_url=settings.public_url,
            days=settings.shop_link_days,
        )

    def token(self, shop_id: int, now: datetime) -> str:
        return self._serializer.dumps([shop_id, int(now.timestamp())])

    def url(self, shop_id: int, now: datetime) -> str | None:
        """The shop's link made at `now`; None without BUDGETGUARD_PUBLIC_URL."""
        if self.public_url is None:
            return None
        return f"{self.public_url}{PATH}{self.token(shop_id, now)}"

    def shop_of(self, token: str, now: datetime) -> int:
        """The shop the token names; refuse one not signed here or past its days."""
        try:
            shop_id, made = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise LinkInvalid("not a link of this console") from None
        if not isinstance(shop_id, int) or not isinstance(made, int):
            raise LinkInvalid("not a link of this console")
        if now.timestamp() - made > self.valid_for.total_seconds():
            raise LinkExpired("this link has expired")
        return shop_id
