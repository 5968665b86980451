"""The console's Deliveries page over real HTTP: the list, its paging, the retries and who may
retry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest

from budgetguard.domain.users import Role
from budgetguard.services.users import add_user
from support.console import csrf_of, signed_in_client
from support.deliveries import retried_audit, statuses, troubled_records
from support.receivers import WebhookReceiver, webhook_receiver
from support.server import api_in_thread
from support.world import World

PASSWORD = "correct horse battery"  # noqa: S105 - the test users' password


@dataclass
class Served:
    url: str
    world: World

    def client(self, name: str) -> httpx.Client:
        return signed_in_client(self.url, name, PASSWORD)


@pytest.fixture
def served(world: World) -> Iterator[Served]:
    add_user(context=world.context, name="olga", role=Role.OPERATOR, password=PASSWORD)
    add_user(context=world.context, name="vera", role=Role.VIEWER, password=PASSWORD)
    with api_in_thread(world.context) as (url, _runtime, _bell):
        yield Served(url, world)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver(WebhookReceiver(default=500)) as answering:
        yield answering


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="record-(\d+)">', html)]


def test_failed_and_dead_records_are_listed_newest_first_and_filtered_by_status(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1,), failed=(2,))
    every = statuses(served.world)
    with closing(served.client("vera")) as client:
        both = client.get("/deliveries").text
        dead = client.get("/deliveries", params={"status": "dead"}).text
        failed = client.get("/deliveries", params={"status": "failed"}).text
        wrong = client.get("/deliveries", params={"status": "delivered"})

    assert listed(both) == sorted(every, reverse=True)
    assert listed(dead) == [i for i, s in every.items() if s == "dead"]
    assert listed(failed) == [i for i, s in every.items() if s == "failed"]
    assert "HTTP 500" in both
    assert 'href="/shops/1?month=' in both
    assert wrong.status_code == 400


def test_records_are_paged_by_id_so_every_record_is_seen_once(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1, 2), hooks=26)  # 52 records: two pages
    with closing(served.client("vera")) as client:
        first = client.get("/deliveries", params={"status": "dead"}).text
        (older,) = re.findall(r'href="(/deliveries\?[^"]*before=\d+)"', first)
        second = client.get(older.replace("&amp;", "&")).text

    assert len(listed(first)) == 50
    assert listed(first) + listed(second) == sorted(statuses(served.world), reverse=True)
    assert "Older records" not in second
    assert "Newest</a>" in second


def test_an_operator_retries_one_record_and_is_told_what_happened(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1, 2))
    first, second = sorted(statuses(served.world))
    with closing(served.client("olga")) as client:
        page = client.get("/deliveries", params={"status": "dead", "month": "2020-07"})
        answer = client.post(
            "/deliveries/retry",
            data={"csrf": csrf_of(page.text), "one": str(first), "status": "dead",
                  "month": "2020-07"},
        )  # fmt: skip
        after = client.get(answer.headers["location"])

    assert answer.status_code == 303
    assert statuses(served.world) == {first: "pending", second: "dead"}
    assert retried_audit(served.world) == [("web:olga", 1)]
    assert '<p class="notice" id="notice">1 record due again.</p>' in after.text
    assert listed(after.text) == [second]


def test_retrying_the_ticked_records_and_all_shown_says_which_were_delivered_meanwhile(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1, 2, 3))
    one, two, three = sorted(statuses(served.world))
    with closing(served.client("olga")) as client:
        csrf = csrf_of(client.get("/deliveries").text)
        ticked = client.post(
            "/deliveries/retry",
            data={"csrf": csrf, "action": "selected", "selected": [str(one), str(two)],
                  "month": "2020-07"},
        )  # fmt: skip
        with served.world.context.engine.begin() as connection:  # delivered meanwhile
            connection.exec_driver_sql(
                f"UPDATE bg_deliveries SET status = 'delivered', next_attempt_at = NULL "
                f"WHERE id = {one}"
            )
        everything = client.post(
            "/deliveries/retry",
            data={"csrf": csrf, "action": "all", "shown": [str(one), str(three)],
                  "month": "2020-07"},
        )  # fmt: skip
        told = client.get(everything.headers["location"]).text

    assert ticked.status_code == everything.status_code == 303
    assert statuses(served.world) == {one: "delivered", two: "pending", three: "pending"}
    assert "1 record due again; 1 was delivered meanwhile." in told


def test_retry_selected_with_nothing_ticked_is_refused_beside_the_button(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1,))
    before = statuses(served.world)
    with closing(served.client("olga")) as client:
        csrf = csrf_of(client.get("/deliveries").text)
        answer = client.post(
            "/deliveries/retry", data={"csrf": csrf, "action": "selected", "month": "2020-07"}
        )

    assert answer.status_code == 422
    assert 'aria-describedby="retry-error"' in answer.text
    assert '<p class="field-error" id="retry-error">Tick at least one record' in answer.text
    assert statuses(served.world) == before
    assert retried_audit(served.world) == []


def test_a_viewer_sees_no_retry_controls_and_a_forged_retry_is_403(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1,))
    before = statuses(served.world)
    (record,) = before
    with closing(served.client("vera")) as client:
        page = client.get("/deliveries").text
        forged = client.post(
            "/deliveries/retry",
            data={"csrf": csrf_of(page), "one": str(record), "month": "2020-07"},
        )

    assert listed(page) == [record]
    assert "/deliveries/retry" not in page
    assert 'type="checkbox"' not in page
    assert ">Retry" not in page
    assert forged.status_code == 403
    assert statuses(served.world) == before
    assert retried_audit(served.world) == []


def test_a_retry_without_the_form_token_is_403_and_changes_nothing(
    served: Served, receiver: WebhookReceiver
) -> None:
    troubled_records(served.world, receiver, dead=(1,))
    before = statuses(served.world)
    (record,) = before
    with closing(served.client("olga")) as client:
        client.get("/deliveries")
        missing = client.post("/deliveries/retry", data={"one": str(record), "month": "2020-07"})
        forged = client.post(
            "/deliveries/retry", data={"csrf": "x" * 43, "one": str(record), "month": "2020-07"}
        )

    assert (missing.status_code, forged.status_code) == (403, 403)
    assert statuses(served.world) == before
