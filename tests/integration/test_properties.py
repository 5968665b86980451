"""Random histories of spend, budgets, hand edits and evaluations, checked against the model.

Invariants: no alert fires twice per arming; every crossing is notified exactly when it first
happens; only online shops are paused; only shops budgetguard paused are resumed. Shops set
and change their own policies (thresholds, pause threshold or soft limit, time zone) mid-month,
and evaluations fall between the midnights of their zones (issue 9).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from budgetguard.db.catalog import policies
from budgetguard.domain.period import parse_instant
from budgetguard.domain.policy import SOFT_LIMIT, PauseAt, ShopPolicy
from support.model import Model, ModelShop
from support.platform import wipe
from support.world import World

SHOPS = (1, 2)
MONTHS = ("2020-06", "2020-07")
INSTANTS = (
    "2020-06-15T12:00:00Z",  # June everywhere
    "2020-06-30T13:00:00Z",  # July in Auckland, June in UTC and Los Angeles
    "2020-07-01T03:00:00Z",  # July in Auckland and UTC, June in Los Angeles
    "2020-07-15T12:00:00Z",  # July everywhere
)
ZONES = (None, None, "Pacific/Auckland", "America/Los_Angeles")
THRESHOLDS = (None, (50, 100), (50, 80, 100), (80,), (25, 50, 75, 100, 150))
EXAMPLES = {"sqlite": 150, "mariadb": 40, "postgresql": 40}

cents = st.integers(min_value=0, max_value=40_000).map(lambda c: Decimal(c).scaleb(-2))
# Mostly amounts on and around the thresholds, so that histories cross, re-arm and resume often;
# now and then any amount, or an unusable one.
budget_amounts = st.one_of(
    st.sampled_from([Decimal(v) for v in ("100.00", "100.00", "200.00", "0.30", "99.99")]),
    st.sampled_from([Decimal("0.00"), Decimal("-5.00")]),
    cents.filter(lambda amount: amount > 0),
)
spent_amounts = st.one_of(
    st.sampled_from(
        [
            Decimal(v)
            for v in (
                "0.00",
                "0.15",
                "49.99",
                "50.00",
                "79.99",
                "80.00",
                "99.99",
                "100.00",
                "150.00",
            )
        ]
    ),
    cents,
)


Policy = tuple[tuple[int, ...] | None, PauseAt | None, str | None]
"""A shop's thresholds, pause threshold and time zone (None: the settings')."""


@st.composite
def shop_policies(draw: st.DrawFn) -> Policy:
    """A valid policy: its pause threshold (or a soft limit) among its thresholds."""
    thresholds = draw(st.sampled_from(THRESHOLDS))
    listed = (50, 100) if thresholds is None else thresholds
    pauses: list[PauseAt | None] = [SOFT_LIMIT, *listed]
    if 100 in listed:
        pauses.append(None)  # the settings' 100
    return thresholds, draw(st.sampled_from(pauses)), draw(st.sampled_from(ZONES))


class History(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        wipe(self.world.context.engine)
        self.world.channel.sent.clear()
        self.model = Model(self.world.context.settings.policy)
        for shop in SHOPS:
            online = shop == 1
            self.world.platform.add_shop(shop, online=online)
            self.model.shops[shop] = ModelShop(online=online)

    @initialize(first=shop_policies(), second=shop_policies())
    def the_shops_start_with_their_own_policies(self, first: Policy, second: Policy) -> None:
        self.a_shop_sets_its_policy(SHOPS[0], first)
        self.a_shop_sets_its_policy(SHOPS[1], second)

    @rule(shop=st.sampled_from(SHOPS), month=st.sampled_from(MONTHS), budget=budget_amounts,
          spent=spent_amounts)  # fmt: skip
    def platform_writes_a_budget(
        self, shop: int, month: str, budget: Decimal, spent: Decimal
    ) -> None:
        self.world.platform.set_budget(shop, month, str(budget), str(spent))
        self.model.budgets[(shop, month)] = (budget, spent)

    @rule(shop=st.sampled_from(SHOPS), month=st.sampled_from(MONTHS), spent=spent_amounts)
    def platform_moves_spend(self, shop: int, month: str, spent: Decimal) -> None:
        if (shop, month) in self.model.budgets:
            self.world.platform.set_spent(shop, month, str(spent))
            self.model.budgets[(shop, month)] = (self.model.budgets[(shop, month)][0], spent)

    @rule(shop=st.sampled_from(SHOPS), month=st.sampled_from(MONTHS))
    def platform_deletes_a_budget(self, shop: int, month: str) -> None:
        self.world.platform.delete_budget(shop, month)
        self.model.budgets.pop((shop, month), None)

    @rule(shop=st.sampled_from(SHOPS), online=st.booleans())
    def someone_sets_a_shop_online_or_offline(self, shop: int, online: bool) -> None:
        self.world.platform.set_online(shop, online)
        self.model.shops[shop].online = online

    @rule(shop=st.sampled_from(SHOPS), policy=shop_policies())
    def a_shop_sets_its_policy(self, shop: int, policy: Policy) -> None:
        thresholds, pause_at, zone = policy
        own = ShopPolicy(thresholds=thresholds, pause_at=pause_at, timezone=zone)
        with self.world.context.engine.begin() as connection:
            settings = self.world.context.settings.thresholds
            policies.write(connection, shop, own, now=self.world.clock(), settings=settings)
        state = self.model.shops[shop]
        state.thresholds, state.pause_at, state.zone = thresholds, pause_at, zone

    @rule(shop=st.sampled_from(SHOPS))
    def a_paused_shop_switches_to_a_soft_limit(self, shop: int) -> None:
        state = self.model.shops[shop]
        if state.claimed:  # its claim resumes below the threshold it paused at
            self.a_shop_sets_its_policy(shop, (state.thresholds, SOFT_LIMIT, state.zone))

    @rule(at=st.sampled_from(INSTANTS))
    def budgetguard_evaluates(self, at: str) -> None:
        instant: datetime = parse_instant(at, self.world.context.settings.zone)
        fired_before = {(s, m): self.world.platform.fired(s, m) for s in SHOPS for m in MONTHS}
        online_before = {s: self.world.platform.online(s) for s in SHOPS}
        claims_before = self.world.platform.paused_by_budgetguard()
        self.world.channel.sent.clear()

        self.world.check(at)

        told = sorted(self.world.sent)
        assert told == self.model.evaluate(instant)
        for shop, kind, thresholds, action in told:
            month = self.model.month_of(shop, instant)
            if kind == "threshold":
                assert not set(thresholds) & set(fired_before[(shop, month)]), "fired twice"
                assert action != "paused" or online_before[shop], "paused an offline shop"
            else:
                assert shop in claims_before, "resumed a shop budgetguard did not pause"
        self._state_matches_the_model()

    def _state_matches_the_model(self) -> None:
        for shop in SHOPS:
            assert self.world.platform.online(shop) == self.model.shops[shop].online
            for month in MONTHS:
                expected = tuple(sorted(self.model.fired.get((shop, month), ())))
                assert self.world.platform.fired(shop, month) == expected
        claimed = {s for s, state in self.model.shops.items() if state.claimed}
        assert self.world.platform.paused_by_budgetguard() == claimed


def test_random_histories_follow_the_rules(world: World, backend: str) -> None:
    History.world = world
    run_state_machine_as_test(
        History,
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
