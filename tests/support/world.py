"""A migrated database, the platform writing to it, and budgetguard evaluating it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from budgetguard.bootstrap import delivery_setup
from budgetguard.config import Settings, load_settings
from budgetguard.domain.delivery import DeliveryReport
from budgetguard.domain.evaluation import EvaluationReport
from budgetguard.domain.period import parse_instant
from budgetguard.notify.channels.base import Channel
from budgetguard.services.deliveries import Delivery, deliver_due
from budgetguard.services.evaluation import CheckReport, evaluate_month, run_check
from budgetguard.services.uow import Context
from support.fakes import FakeClock, RecordingChannel
from support.platform import Platform


@dataclass
class World:
    """A migrated database, the platform writing to it, and budgetguard evaluating it."""

    context: Context
    platform: Platform
    clock: FakeClock
    channel: RecordingChannel = field(default_factory=RecordingChannel)
    # By the console's id (channels are not hashable); the channel is kept so its id stays its.
    _deliveries: dict[int, tuple[Channel, Delivery]] = field(default_factory=dict, repr=False)

    def check(self, at: str) -> CheckReport:
        """Run `budgetguard check --at <at>` with the recording channel."""
        instant = parse_instant(at, self.context.settings.zone)
        return run_check(context=self.context, at=instant, delivery=self.delivery())

    def evaluate(self, at: str) -> EvaluationReport:
        """Evaluate without delivering, as a `check` that crashed before delivery leaves it."""
        instant = parse_instant(at, self.context.settings.zone)
        return evaluate_month(context=self.context, at=instant)

    def delivery(self, console: Channel | None = None) -> Delivery:
        """The delivery side as `check` wires it, with the recording channel as console (wired
        once per console: the e-mail templates are compiled at wiring, as `check` does once)."""
        channel = console or self.channel
        if id(channel) not in self._deliveries:
            self._deliveries[id(channel)] = (channel, delivery_setup(self.context, channel))
        return self._deliveries[id(channel)][1]

    def deliver(self, console: Channel | None = None) -> DeliveryReport:
        """Run `budgetguard deliver --once`, with `console` (default: the recording channel)."""
        return deliver_due(context=self.context, delivery=self.delivery(console))

    @classmethod
    def on(cls, engine: Engine, clock: FakeClock | None = None) -> World:
        """A world on `engine`'s database (the caller disposes of the engine)."""
        clock = clock or FakeClock()
        url = engine.url.render_as_string(hide_password=False)
        settings = Settings(database_url=url, forecast=False)  # as the `world` fixture's
        return cls(Context(settings, engine, clock), Platform(engine), clock)

    def with_settings(self, **overrides: object) -> World:
        """The same world with more settings (on top of those it has)."""
        current = self.context.settings.model_dump(exclude_defaults=True)
        settings = load_settings(**{**current, **overrides})
        return World(
            Context(settings, self.context.engine, self.clock),
            self.platform,
            self.clock,
            self.channel,
        )

    @property
    def sent(self) -> list[tuple[int, str, tuple[int, ...], str | None]]:
        """What the shops were told: (shop, kind, thresholds, action), in delivery order."""
        return [
            (n.shop_id, n.kind.value, n.thresholds, n.action.value if n.action else None)
            for n in self.channel.sent
        ]
