"""Shop links: signed, naming one shop, expiring after their days; anything else refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from budgetguard.services.shop_links import LinkExpired, LinkInvalid, ShopLinks

NOW = datetime(2020, 7, 15, 12, tzinfo=UTC)
SECRET = "s" * 48


def links(public_url: str | None = "https://budgets.example.com", days: int = 35) -> ShopLinks:
    return ShopLinks(SECRET, public_url=public_url, days=days)


def test_a_link_names_its_shop_until_its_last_day() -> None:
    url = links().url(7, NOW)

    assert url is not None
    assert url.startswith("https://budgets.example.com/s/")
    token = url.rsplit("/", 1)[1]
    assert links().shop_of(token, NOW + timedelta(days=35)) == 7
    with pytest.raises(LinkExpired):
        links().shop_of(token, NOW + timedelta(days=35, seconds=1))


def test_no_public_url_no_link() -> None:
    assert links(public_url=None).url(7, NOW) is None


@pytest.mark.parametrize("change", ["x", "-", "A"])
def test_an_altered_token_is_refused(change: str) -> None:
    token = links().token(7, NOW)
    for at in (0, len(token) // 2, len(token) - 1):
        altered = token[:at] + change + token[at + 1 :]
        if altered == token:
            continue
        with pytest.raises(LinkInvalid):
            links().shop_of(altered, NOW)


def test_a_token_of_another_secret_or_another_kind_is_refused() -> None:
    other = ShopLinks("t" * 48, public_url=None, days=35).token(7, NOW)

    with pytest.raises(LinkInvalid):
        links().shop_of(other, NOW)
    with pytest.raises(LinkInvalid):
        links().shop_of("", NOW)
