"""Contacts and delivery records over real HTTP, on every database (issue 4's routes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from support.receivers import WebhookReceiver, webhook_receiver
from support.server import AUTH, api_in_thread
from support.world import World

PUBLIC_HOOK = "https://93.184.215.14/budget-hook"  # a public address, never contacted here
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret


@contextmanager
def client_of(world: World) -> Iterator[httpx.Client]:
    with (
        api_in_thread(world.context) as (url, _runtime, _bell),
        httpx.Client(base_url=url, headers=AUTH, timeout=60) as client,
    ):
        yield client


@pytest.fixture
def http(world: World) -> Iterator[httpx.Client]:
    """The API with the default settings (HTTPS only, no private targets) and shop 1."""
    world.platform.add_shop(1, "Fashion Quasar")
    with client_of(world) as client:
        yield client


@pytest.fixture
def local(world: World) -> World:
    """The world, allowed to reach receivers on loopback, and giving up after one attempt."""
    world.platform.add_shop(1, "Fashion Quasar")
    return world.with_settings(webhook_allow_private=True, delivery_max_attempts=1)


def test_contacts_are_replaced_listed_and_removed(http: httpx.Client) -> None:
    body = {
        "contacts": [
            {"kind": "email", "target": "owner@example.com"},
            {"kind": "webhook", "target": PUBLIC_HOOK},
        ]
    }
    put = http.put("/v1/shops/1/contacts", json=body)

    assert put.status_code == 200
    contacts = put.json()["contacts"]
    assert [(c["kind"], c["target"]) for c in contacts] == [
        ("email", "owner@example.com"),
        ("webhook", PUBLIC_HOOK),
    ]
    (secret,) = put.json()["new_secrets"].values()
    assert secret.startswith("whsec_")
    listed = http.get("/v1/shops/1/contacts")
    assert secret not in listed.text, "a secret is shown once, when it is made"
    assert http.delete(f"/v1/shops/1/contacts/{contacts[0]['id']}").status_code == 204
    assert [c["kind"] for c in http.get("/v1/shops/1/contacts").json()["contacts"]] == ["webhook"]
    assert http.delete("/v1/shops/1/contacts").status_code == 204
    assert http.get("/v1/shops/1/contacts").json()["contacts"] == []


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        ({"kind": "email", "target": "not an address"}, "contact refused"),
        ({"kind": "webhook", "target": "http://93.184.215.14/hook"}, "contact refused"),
        ({"kind": "webhook", "target": "https://127.0.0.1/hook"}, "contact refused"),
        ({"kind": "webhook", "target": "https://10.1.2.3/hook"}, "contact refused"),
        ({"kind": "webhook", "target": "https://93.184.215.14/hook "}, "contains a space"),
        ({"kind": "sms", "target": "+33 1 23 45 67 89"}, "kind"),
        ({"kind": "email", "target": "a@example.com", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_contact_is_refused_and_nothing_changes(
    http: httpx.Client, contact: dict[str, str], reason: str
) -> None:
    http.put(
        "/v1/shops/1/contacts", json={"contacts": [{"kind": "email", "target": "a@b.example"}]}
    )

    answer = http.put("/v1/shops/1/contacts", json={"contacts": [contact]})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert reason in answer.text
    kept = http.get("/v1/shops/1/contacts").json()["contacts"]
    assert [c["target"] for c in kept] == ["a@b.example"]


def test_a_listed_webhook_shows_no_credentials_nor_query(http: httpx.Client) -> None:
    """Issue 11, defect 6: list targets as the logs show them (and never a Slack URL's path)."""
    hook = "https://hook-user:hook-pass@93.184.215.14/budget-hook?token=t0k3n"
    slack = "https://93.184.215.14/services/T000/B000/XXXX"
    body = {"contacts": [{"kind": "webhook", "target": hook}, {"kind": "slack", "target": slack}]}

    put = http.put("/v1/shops/1/contacts", json=body)
    listed = http.get("/v1/shops/1/contacts")

    for answer in (put, listed):
        assert answer.status_code == 200
        assert [c["target"] for c in answer.json()["contacts"]] == [
            "https://93.184.215.14/budget-hook",
            "https://93.184.215.14/…",
        ]
        assert not {"hook-user", "hook-pass", "t0k3n", "XXXX"} & set(_words(answer.text))


def test_targets_differing_only_in_case_are_two_contacts(http: httpx.Client) -> None:
    """Found in review: MySQL's default collation took `…/Hook` and `…/hook` for one target (500
    on a PUT of both, and a look-up by URL finding the other one)."""
    upper, lower = f"{PUBLIC_HOOK}/Hook", f"{PUBLIC_HOOK}/hook"
    body = {"contacts": [{"kind": "webhook", "target": t} for t in (upper, lower)]}

    both = http.put("/v1/shops/1/contacts", json=body)
    again = http.put("/v1/shops/1/contacts", json={"contacts": body["contacts"][1:]})

    assert both.status_code == 200, both.text
    assert sorted(c["target"] for c in both.json()["contacts"]) == [upper, lower]
    assert again.status_code == 200, again.text
    assert [c["target"] for c in again.json()["contacts"]] == [lower]
    assert [c["target"] for c in http.get("/v1/shops/1/contacts").json()["contacts"]] == [lower]


def _words(text: str) -> list[str]:
    return text.replace("/", " ").replace(":", " ").replace("@", " ").replace("=", " ").split()


@pytest.mark.parametrize(
    "target",
    ["https://93.184.215.14/hook\r\nX-Forged: 1", "https://93.184.215.14/\thook",
     "owner\u202e@example.com", "https://93.184.215.14/hook\x85", "owner\x7f@example.com",
     "https://93.184.215.14/\u2066hook", "owner\u200f@example.com", "\x1b[2Jowner@example.com"],
    ids=["crlf", "tab", "rlo", "c1", "del", "isolate", "rlm", "escape"],
)  # fmt: skip
def test_control_and_bidi_characters_in_a_target_are_refused(
    http: httpx.Client, target: str
) -> None:
    """Issue 11, defect 9: they could forge a line of output or reverse what follows them."""
    kind = "email" if "@" in target else "webhook"
    others = [{"kind": "email", "target": "fine@example.com"}]

    answer = http.put(
        "/v1/shops/1/contacts", json={"contacts": [*others, {"kind": kind, "target": target}]}
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "contacts[1].target"
    assert "control character U+" in answer.json()["detail"]
    assert http.get("/v1/shops/1/contacts").json()["contacts"] == [], "nothing was stored"


def test_unknown_shops_and_contacts_are_404(http: httpx.Client) -> None:
    assert http.get("/v1/shops/99/contacts").status_code == 404
    assert http.put("/v1/shops/99/contacts", json={"contacts": []}).status_code == 404
    assert http.delete("/v1/shops/1/contacts/12345").status_code == 404


def test_contacts_need_an_api_key(http: httpx.Client) -> None:
    anonymous = httpx.get(http.base_url.join("/v1/shops/1/contacts"))
    wrong = httpx.get(
        http.base_url.join("/v1/deliveries"), headers={"Authorization": "Bearer not-a-key"}
    )
    assert (anonymous.status_code, wrong.status_code) == (401, 401)


def test_a_dead_letter_is_listed_and_retried_until_delivered(local: World) -> None:
    with (
        client_of(local) as http,
        webhook_receiver(WebhookReceiver(secret=SECRET, script=[500])) as receiver,
    ):
        contact = {"kind": "webhook", "target": receiver.url(), "secret": SECRET}
        assert http.put("/v1/shops/1/contacts", json={"contacts": [contact]}).status_code == 200
        local.platform.set_budget(1, "2020-06", "100.00", "100.00")
        local.check("2020-06-30")  # evaluates, then the one attempt allowed fails: dead

        (dead,) = http.get("/v1/deliveries", params={"status": "dead"}).json()["items"]
        retried = http.post("/v1/deliveries/retry", json={"ids": [dead["id"], 999_999]}).json()
        local.deliver()
        delivered = http.get("/v1/deliveries", params={"status": "delivered", "shop_id": 1})

    assert (dead["channel"], dead["shop_id"], dead["last_error"]) == ("webhook", 1, "HTTP 500")
    assert (retried["retried"], retried["unknown"]) == ([dead["id"]], [999_999])
    assert [r.answer for r in receiver.received] == [500, 200]
    assert [d["id"] for d in delivered.json()["items"]] == [dead["id"]]
