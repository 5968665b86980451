"""Secrets at rest: contacts' webhook URLs and secrets sealed with BUDGETGUARD_SECRET_KEY, on
every database, delivered to real receivers that verify each signature."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from budgetguard.db.outbox.sealed_contacts import contacts_after, reseal
from budgetguard.db.plumbing.sealing import Keyring, with_keyring
from budgetguard.db.schema.tables import contacts
from budgetguard.domain.delivery import Status
from budgetguard.domain.errors import Conflict
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import ContactSpec, add_contact, list_contacts, replace_contacts
from budgetguard.services.deliveries import list_deliveries
from budgetguard.services.secrets import Resealed, rotate_secrets, seal_clear_contacts
from support.receivers import WebhookReceiver, webhook_receiver
from support.world import World

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))


@pytest.fixture
def local(world: World) -> World:
    """The world, allowed to reach receivers on loopback over plain HTTP; no key yet."""
    return world.with_settings(webhook_allow_private=True, delivery_timeout=10)


def keyed(world: World, keys: str) -> World:
    return world.with_settings(secret_key=keys)


def overspend(world: World, shop: int) -> None:
    world.platform.add_shop(shop)
    world.platform.set_budget(shop, "2020-07", "670.00", "715.64")


def hook(world: World, shop: int, url: str, secret: str = SECRET) -> int:
    spec = ContactSpec(ChannelKind.WEBHOOK, url, secret)
    return add_contact(actor="tests", context=world.context, shop_id=shop, spec=spec).contact.id


def raw_rows(world: World) -> list[dict[str, Any]]:
    with world.context.engine.connect() as connection:
        rows = connection.execute(select(contacts).order_by(contacts.c.id))
        return [dict(row._mapping) for row in rows]


def stored_text(world: World) -> str:
    """Every column of every contact as the database holds it, in one string."""
    return " ".join(str(value) for row in raw_rows(world) for value in row.values())


def test_with_a_key_no_url_nor_secret_of_a_webhook_or_slack_contact_is_stored_in_clear(
    world: World,
) -> None:
    sealed = keyed(world.with_settings(webhook_allow_private=True), KEY_A)
    sealed.platform.add_shop(1)
    webhook = "https://user:pa55word@93.184.215.14/hook/p4th-t0ken?token=t0ken-in-query"
    slack = "https://hooks.slack.com/services/T000/B000/slacktoken123"
    hook(sealed, 1, webhook)
    add_contact(
        actor="tests", context=sealed.context, shop_id=1, spec=ContactSpec(ChannelKind.SLACK, slack)
    )
    add_contact(
        actor="tests",
        context=sealed.context,
        shop_id=1,
        spec=ContactSpec(ChannelKind.EMAIL, "a@shop.example"),
    )

    stored = stored_text(sealed)
    listed = list_contacts(context=sealed.context, shop_id=1)

    for secret in (SECRET, "whsec_", "pa55word", "t0ken-in-query", "slacktoken123", "p4th-t0ken"):
        assert secret not in stored
    assert [r["sealed"] is not None for r in raw_rows(sealed)] == [True, True, False]
    assert all(r["secret"] is None for r in raw_rows(sealed))
    assert "a@shop.example" in stored, "an e-mail address is no credential: kept readable"
    assert [(c.target, c.secret) for c in listed] == [
        (webhook, SECRET), (slack, None), ("a@shop.example", None)
    ]  # fmt: skip


def test_a_sealed_webhook_is_found_again_by_its_url_under_every_key(local: World) -> None:
    sealed = keyed(local, KEY_A)
    sealed.platform.add_shop(1)
    url = "https://93.184.215.14/hook?token=abc"
    first = hook(sealed, 1, url)

    again = add_contact(
        actor="tests",
        context=keyed(local, f"{KEY_B},{KEY_A}").context,
        shop_id=1,
        spec=ContactSpec(ChannelKind.WEBHOOK, url, SECRET),
    )

    assert (again.contact.id, again.created) == (first, False)
    assert len(raw_rows(sealed)) == 1


def test_a_sealed_webhook_is_signed_with_its_own_secret(local: World) -> None:
    sealed = keyed(local, KEY_A)
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as receiver:
        overspend(sealed, 1)
        hook(sealed, 1, receiver.url())

        sealed.check("2020-07-31")

    (got,) = receiver.received
    assert got.payload is not None, "the reference library verified the signature"
    (record,) = list_deliveries(context=sealed.context)
    assert record.status is Status.DELIVERED


def test_a_sealed_slack_url_reaches_its_receiver_whole(local: World) -> None:
    sealed = keyed(local, KEY_A)
    with webhook_receiver() as slack:
        overspend(sealed, 1)
        token_url = slack.url("/services/T0/B0/slacktoken123?channel=budget")
        spec = ContactSpec(ChannelKind.SLACK, token_url)
        add_contact(actor="tests", context=sealed.context, shop_id=1, spec=spec)

        sealed.check("2020-07-31")

    assert "slacktoken123" not in stored_text(sealed)
    assert [r.path for r in slack.received] == ["/services/T0/B0/slacktoken123?channel=budget"]


def test_keys_rotate_the_new_one_first_then_rotate_secrets_then_the_old_one_goes(
    local: World,
) -> None:
    old, both, new = keyed(local, KEY_A), keyed(local, f"{KEY_B},{KEY_A}"), keyed(local, KEY_B)
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as receiver:
        overspend(old, 1)
        hook(old, 1, receiver.url())
        old.evaluate("2020-07-31")
        both.deliver()  # the old key still opens what it sealed

        rotated = rotate_secrets(context=both.context)
        again = rotate_secrets(context=both.context)
        new.platform.set_budget(1, "2020-08", "670.00", "100.00")
        new.check("2020-08-31")  # the old key is gone: what was rotated opens with the new one

    assert [r.payload is not None for r in receiver.received] == [True, True]
    assert (rotated.done[Resealed.ROTATED], again.done[Resealed.CURRENT]) == (1, 1)
    (row,) = raw_rows(new)
    assert Keyring.parse(KEY_B).open(row["sealed"]).secret == SECRET
    assert row["target"] == Keyring.parse(KEY_B).stand_in(receiver.url())


def test_contacts_stored_in_clear_keep_working_and_are_sealed_once_a_key_is_set(
    local: World,
) -> None:
    sealed = keyed(local, KEY_A)
    with webhook_receiver(WebhookReceiver(secret=SECRET)) as receiver:
        overspend(local, 1)
        hook(local, 1, receiver.url())
        assert SECRET in stored_text(local), "no key: stored in clear, as before"
        sealed.evaluate("2020-07-31")
        sealed.deliver()  # a clear contact works with a key, before it is sealed

        report = seal_clear_contacts(context=sealed.context)
        sealed.platform.set_budget(1, "2020-08", "670.00", "100.00")
        sealed.check("2020-08-31")

    assert report is not None
    assert report.done[Resealed.SEALED] == 1
    assert SECRET not in stored_text(sealed)
    assert [r.payload is not None for r in receiver.received] == [True, True]


def test_a_wrong_key_fails_that_delivery_clearly_and_the_others_are_delivered(
    local: World,
) -> None:
    right, wrong = keyed(local, KEY_A), keyed(local, KEY_C)
    with (
        webhook_receiver(WebhookReceiver(secret=SECRET)) as first,
        webhook_receiver(WebhookReceiver(secret=SECRET)) as second,
    ):
        overspend(right, 1)
        overspend(right, 2)
        hook(right, 1, first.url())
        hook(wrong, 2, second.url())

        wrong.check("2020-07-31")
        failed = {r.shop_id: r for r in list_deliveries(context=wrong.context)}
        wrong.clock.advance(timedelta(hours=2))
        keyed(local, f"{KEY_C},{KEY_A}").deliver()  # the key put back: retried and delivered

    assert failed[2].status is Status.DELIVERED
    assert failed[1].status is Status.FAILED
    assert failed[1].next_attempt_at is not None, "retried with back-off"
    assert failed[1].last_error == (
        "the contact's URL and secret cannot be read: no key of BUDGETGUARD_SECRET_KEY decrypts it"
    )
    assert [r.payload is not None for r in first.received] == [True]
    assert len(second.received) == 1


def test_without_a_key_a_sealed_contact_fails_its_delivery_saying_the_key_is_missing(
    local: World,
) -> None:
    sealed = keyed(local, KEY_A)
    overspend(sealed, 1)
    hook(sealed, 1, "http://127.0.0.1:9/hook")

    local.check("2020-07-31")

    (record,) = list_deliveries(context=local.context)
    assert (record.status, record.last_error) == (
        Status.FAILED,
        "the contact's URL and secret cannot be read: it is encrypted and "
        "BUDGETGUARD_SECRET_KEY is not set",
    )
    (listed,) = list_contacts(context=local.context, shop_id=1)
    assert listed.secret is None
    assert "127.0.0.1:9/" in listed.target


def test_rotation_names_the_contacts_no_key_opens_and_leaves_them_as_they_are(
    local: World,
) -> None:
    lost = keyed(local, KEY_C)
    lost.platform.add_shop(1)
    hook(lost, 1, "https://93.184.215.14/hook")
    before = raw_rows(lost)

    report = rotate_secrets(context=keyed(local, KEY_A).context)

    assert (report.done[Resealed.UNREADABLE], report.unreadable) == (1, [before[0]["id"]])
    assert raw_rows(lost) == before


def test_rotation_leaves_a_contact_written_since_it_was_read_as_written(local: World) -> None:
    """`rotate-secrets` beside a running service: a contact replaced between the batch's read and
    its write keeps what the writer wrote (already under the current key)."""
    old, new = keyed(local, KEY_A), keyed(local, f"{KEY_B},{KEY_A}")
    old.platform.add_shop(1)
    url = "https://93.184.215.14/hook"
    hook(old, 1, url)
    with new.context.engine.connect() as connection:
        (stale,) = contacts_after(connection, after_id=0, limit=10, clear_only=False)
    fresh_secret = "whsec_" + "B" * 40
    hook(new, 1, url, fresh_secret)  # written meanwhile, under KEY_B
    written = raw_rows(new)

    with new.context.engine.begin() as connection:
        outcome = reseal(with_keyring(connection, new.context.settings.keyring), stale)

    assert outcome is Resealed.CHANGED
    assert raw_rows(new) == written
    (listed,) = list_contacts(context=new.context, shop_id=1)
    assert listed.secret == fresh_secret


def test_contacts_are_not_replaced_while_one_of_them_cannot_be_read(local: World) -> None:
    """Found in review: a PUT on a process without the contact's key took the sealed contact for
    a stale one, deleted it (its deliveries dead) and stored it again with a new secret."""
    sealed_with_c = keyed(local, KEY_C)
    sealed_with_c.platform.add_shop(1)
    hook(sealed_with_c, 1, "https://93.184.215.14/hook")
    before = raw_rows(local)
    wanted = [ContactSpec(ChannelKind.WEBHOOK, "https://93.184.215.14/hook", SECRET)]

    with pytest.raises(Conflict, match=r"shop 1's contacts \d+ cannot be read"):
        replace_contacts(
            actor="tests", context=keyed(local, KEY_A).context, shop_id=1, specs=wanted
        )

    assert raw_rows(local) == before
