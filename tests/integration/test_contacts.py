"""Shop contacts: added, listed, replaced, removed; bad addresses and private hosts refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from budgetguard.api.schemas.contacts import ContactOut
from budgetguard.cli.output import contact_json
from budgetguard.domain.delivery import Status
from budgetguard.domain.errors import NotFound, Unacceptable
from budgetguard.domain.recipients import ChannelKind
from budgetguard.services.contacts import (
    ContactSpec,
    add_contact,
    list_contacts,
    remove_contact,
    replace_contacts,
)
from budgetguard.services.deliveries import list_deliveries
from support.receivers import WebhookReceiver, webhook_receiver
from support.resolvers import silent_resolver
from support.world import World

PUBLIC_HOOK = "https://93.184.215.14/budget-hook"  # a public address, never contacted here
EMAIL, WEBHOOK, SLACK = ChannelKind.EMAIL, ChannelKind.WEBHOOK, ChannelKind.SLACK


def add(world: World, kind: ChannelKind, target: str, secret: str | None = None) -> int:
    spec = ContactSpec(kind, target, secret)
    return add_contact(actor="tests", context=world.context, shop_id=1, spec=spec).contact.id


@pytest.fixture
def shop(world: World) -> World:
    world.platform.add_shop(1)
    return world


def test_a_shop_gets_contacts_of_each_kind(shop: World) -> None:
    add(shop, EMAIL, "Owner@Example.com")
    added = add_contact(
        actor="tests", context=shop.context, shop_id=1, spec=ContactSpec(WEBHOOK, PUBLIC_HOOK)
    )
    add(shop, SLACK, "https://93.184.215.14/services/T000/B000/XXXX")

    listed = list_contacts(context=shop.context, shop_id=1)

    assert [(c.kind.value, c.shown_target) for c in listed] == [
        ("email", "Owner@example.com"),
        ("webhook", PUBLIC_HOOK),
        ("slack", "https://93.184.215.14/…"),
    ]
    assert added.new_secret is not None
    assert added.new_secret.startswith("whsec_")
    assert listed[1].secret == added.new_secret
    shown = [str(contact_json(c)) for c in listed] + [
        ContactOut.of(c).model_dump_json() for c in listed
    ]
    assert all(added.new_secret not in text for text in shown), "a secret is never listed"
    assert all(added.new_secret not in repr(c) for c in listed), "nor in a contact's repr"
    assert contact_json(listed[1])["has_secret"] is ContactOut.of(listed[1]).has_secret is True


def test_adding_a_contact_twice_keeps_one(shop: World) -> None:
    first = add(shop, EMAIL, "owner@example.com")
    again = add_contact(
        actor="tests", context=shop.context, shop_id=1, spec=ContactSpec(EMAIL, "owner@example.com")
    )
    assert (again.contact.id, again.created) == (first, False)


@pytest.mark.parametrize(
    ("kind", "target", "why"),
    [
        (EMAIL, "not-an-address", "not a valid e-mail address"),
        (EMAIL, "owner@", "not a valid e-mail address"),
        (WEBHOOK, "http://93.184.215.14/hook", "not HTTPS"),
        (WEBHOOK, "ftp://93.184.215.14/hook", "not HTTPS"),
        (WEBHOOK, "https://127.0.0.1/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://10.1.2.3/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://192.168.0.10/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://169.254.169.254/latest/meta-data", "loopback, private or link-local"),
        (WEBHOOK, "https://[::1]/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://[::ffff:10.0.0.1]/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://localhost/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://[::7f00:1]/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://[64:ff9b::a9fe:a9fe]/hook", "loopback, private or link-local"),
        (WEBHOOK, "https://[2002:7f00:1::]/hook", "loopback, private or link-local"),
        (SLACK, "https://[2001:0:5db8:d70e:0:ffff:80ff:fffe]/services/x", "loopback, private"),
        (SLACK, "https://172.16.0.1/services/x", "loopback, private or link-local"),
        (WEBHOOK, "https://no-such-host.invalid/hook", "cannot resolve"),
        (WEBHOOK, "https:///hook", "names no host"),
    ],
)
def test_a_bad_or_private_target_is_refused_when_added(
    shop: World, kind: ChannelKind, target: str, why: str
) -> None:
    with pytest.raises(Unacceptable, match=why):
        add(shop, kind, target)
    assert list_contacts(context=shop.context, shop_id=1) == []


def test_a_command_adding_a_contact_waits_for_a_silent_resolver_no_longer_than_its_bound(
    shop: World,
) -> None:
    """`contacts add` looks the host up as the API does, bounded (issue 11, defect 8)."""
    slow = shop.with_settings(contact_lookup_timeout=0.5)
    spec = ContactSpec(WEBHOOK, "https://hook.example/budget")
    with silent_resolver() as silent, pytest.raises(Unacceptable) as refused:
        add_contact(actor="tests", context=slow.context, shop_id=1, spec=spec, resolver=silent)

    assert str(refused.value) == (
        "contact refused: hook.example did not resolve within 0.5 s "
        "(BUDGETGUARD_CONTACT_LOOKUP_TIMEOUT)"
    )
    assert list_contacts(context=shop.context, shop_id=1) == []


def test_a_malformed_secret_is_refused(shop: World) -> None:
    with pytest.raises(Unacceptable, match="whsec_"):
        add(shop, WEBHOOK, PUBLIC_HOOK, "hunter2")
    with pytest.raises(Unacceptable, match="only webhooks"):
        add(shop, EMAIL, "owner@example.com", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def test_a_contact_for_an_unknown_shop_is_refused(world: World) -> None:
    with pytest.raises(NotFound, match="no shop 1"):
        add(world, EMAIL, "owner@example.com")


def test_private_and_plain_http_targets_are_allowed_for_local_testing(shop: World) -> None:
    local = shop.with_settings(webhook_allow_private=True)
    assert add(local, WEBHOOK, "http://127.0.0.1:8080/hook")


def test_put_replaces_the_set_and_keeps_what_stays(shop: World) -> None:
    kept = add(shop, EMAIL, "keep@example.com")
    add(shop, EMAIL, "drop@example.com")

    after = replace_contacts(
        actor="tests",
        context=shop.context,
        shop_id=1,
        specs=[ContactSpec(EMAIL, "keep@example.com"), ContactSpec(WEBHOOK, PUBLIC_HOOK)],
    )

    assert list(after.new_secrets) == [after.contacts[1].id]
    assert after.new_secrets[after.contacts[1].id] == after.contacts[1].secret
    assert [(c.kind, c.target) for c in after.contacts] == [
        (EMAIL, "keep@example.com"),
        (WEBHOOK, PUBLIC_HOOK),
    ]
    assert after.contacts[0].id == kept


def test_put_is_all_or_nothing(shop: World) -> None:
    add(shop, EMAIL, "keep@example.com")
    with pytest.raises(Unacceptable):
        replace_contacts(
            actor="tests",
            context=shop.context,
            shop_id=1,
            specs=[ContactSpec(EMAIL, "new@example.com"), ContactSpec(EMAIL, "broken")],
        )
    listed = list_contacts(context=shop.context, shop_id=1)
    assert [c.target for c in listed] == ["keep@example.com"]


def test_removing_a_contact_buries_what_was_still_to_be_sent_to_it(shop: World) -> None:
    local = shop.with_settings(webhook_allow_private=True)
    with webhook_receiver(WebhookReceiver(default=500)) as receiver:
        contact = add(local, WEBHOOK, receiver.url(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        local.platform.set_budget(1, "2020-07", "100.00", "60.00")
        local.check("2020-07-31")
        remove_contact(actor="tests", context=local.context, shop_id=1, contact_id=contact)
        local.clock.advance(timedelta(hours=1))
        local.deliver()

    assert len(receiver.received) == 1
    (record,) = list_deliveries(context=local.context)
    assert (record.status, record.last_error) == (Status.DEAD, "the contact was removed")
    with pytest.raises(NotFound):
        remove_contact(actor="tests", context=local.context, shop_id=1, contact_id=contact)


def test_a_removed_contacts_records_never_reach_a_contact_added_after_it(shop: World) -> None:
    """SQLite hands a removed contact's id to the next contact added, even another shop's."""
    local = shop.with_settings(webhook_allow_private=True)
    local.platform.add_shop(2)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a test secret
    failing, other_shop = WebhookReceiver(default=500), WebhookReceiver(secret=secret)
    with webhook_receiver(failing) as first, webhook_receiver(other_shop) as second:
        contact = add(local, WEBHOOK, first.url(), secret)
        local.platform.set_budget(1, "2020-07", "100.00", "60.00")
        local.check("2020-07-31")
        remove_contact(actor="tests", context=local.context, shop_id=1, contact_id=contact)
        spec = ContactSpec(WEBHOOK, second.url(), secret)
        add_contact(actor="tests", context=local.context, shop_id=2, spec=spec)
        local.clock.advance(timedelta(hours=1))
        local.deliver()

    assert second.received == [], "shop 1's notification went to shop 2's endpoint"
    (record,) = list_deliveries(context=local.context)
    assert (record.status, record.attempts) == (Status.DEAD, 1), "ended at removal, not tried"
    assert record.contact is None
