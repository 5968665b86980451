"""The geometry of the console's charts, drawn on the server as SVG: scales, points and paths
computed from Decimals (no float between the figures and the coordinates), written with one
decimal. Pure: the templates only place what these return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 72, 12, 44
TENTH = Decimal("0.1")
HEADROOM = Decimal("1.1")
"""The vertical scale reaches a tenth above the highest figure drawn."""


def nice_top(value: Decimal) -> Decimal:
    """The axis' top: the least of 1, 2, 2.5, 4, 5 times a power of ten that holds `value` with a
    tenth to spare (so the four steps below it are round figures)."""
    wanted = value * HEADROOM
    if wanted <= 0:
        return Decimal(1)
    power = Decimal(10) ** (wanted.adjusted())
    for step in (1, 2, Decimal("2.5"), 4, 5, 10):
        if power * step >= wanted:
            return power * step
    return power * 10  # pragma: no cover - 10 x power always holds it


def coordinate(value: Decimal) -> str:
    """A coordinate as the SVG holds it: one decimal, no exponent."""
    return f"{value.quantize(TENTH, rounding=ROUND_HALF_UP):f}"


@dataclass(frozen=True, slots=True)
class Scale:
    """Maps figures from 0..`top` onto pixels from `low` (at 0) to `high` (at `top`)."""

    top: Decimal
    low: Decimal
    high: Decimal

    def __call__(self, value: Decimal) -> Decimal:
        if self.top <= 0:
            return self.low
        return self.low + (self.high - self.low) * value / self.top


@dataclass(frozen=True, slots=True)
class Line:
    """A horizontal line across the plot at `y`, with its label."""

    y: str
    label: str
    kind: str
    """`budget` or `threshold`: how it is drawn."""


@dataclass(frozen=True, slots=True)
class Tick:
    at: str
    label: str


@dataclass(frozen=True, slots=True)
class BurnChart:
    """This month's cumulative spend by day against the budget and the thresholds."""

    width: int
    height: int
    spend_path: str
    """`M … L …` through (day, spend at the day's end), from the month's start; empty: no data."""
    dots: list[tuple[str, str]]
    lines: list[Line]
    projection_path: str
    """Dashed, from now to the month's end at the current pace; empty: no projection."""
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot: tuple[int, int, int, int]
    """left, top, right, bottom of the plotting area."""


@dataclass(frozen=True, slots=True)
class Projected:
    """Where the pace so far leads: from `day` (fractional: now) at `spent` to `end` at the
    month's end."""

    day: Decimal
    spent: Decimal
    end: Decimal


def burn_chart(
    *,
    days_in_month: int,
    spend: Sequence[tuple[Decimal, Decimal]],
    budget: Decimal | None,
    thresholds: Sequence[int],
    projection: Projected | None = None,
    money: str = "{}",
) -> BurnChart:
    """The burn chart of a month of `days_in_month` days: `spend` is (days since the month
    began, spend then), ascending (a day's figure at its end: day 3 at 3); `money` formats the
    axis' amounts (`{}` holds the figure)."""
    figures = [s for _, s in spend] + [budget or Decimal(0)]
    if projection is not None:
        figures.append(projection.end)
    top_value = nice_top(max([*figures, Decimal(0)]))
    x = Scale(Decimal(days_in_month), Decimal(LEFT), Decimal(WIDTH - RIGHT))
    y = Scale(top_value, Decimal(HEIGHT - BOTTOM), Decimal(TOP))
    points = [(x(day), y(value)) for day, value in spend]
    path = ""
    if points:
        path = f"M{coordinate(x(Decimal(0)))} {coordinate(y(Decimal(0)))}" + "".join(
            f" L{coordinate(px)} {coordinate(py)}" for px, py in points
        )
    projected = ""
    if projection is not None:
        start = f"M{coordinate(x(projection.day))} {coordinate(y(projection.spent))}"
        end = f"L{coordinate(x(Decimal(days_in_month)))} {coordinate(y(projection.end))}"
        projected = f"{start} {end}"
    return BurnChart(
        width=WIDTH, height=HEIGHT, spend_path=path,
        dots=[(coordinate(px), coordinate(py)) for px, py in points],
        lines=_lines(y, budget, thresholds),
        projection_path=projected,
        x_ticks=[Tick(coordinate(x(Decimal(d))), str(d)) for d in _day_ticks(days_in_month)],
        y_ticks=[Tick(coordinate(y(top_value * k / 4)), money.format(_amount(top_value * k / 4)))
                 for k in range(5)],
        plot=(LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM),
    )  # fmt: skip


def _lines(y: Scale, budget: Decimal | None, thresholds: Sequence[int]) -> list[Line]:
    if budget is None or budget <= 0:
        return []
    lines = [Line(coordinate(y(budget)), "budget", "budget")]
    lines += [Line(coordinate(y(budget * t / 100)), f"{t} %", "threshold")
              for t in thresholds if t != 100]  # fmt: skip
    return lines


def _day_ticks(days: int) -> list[int]:
    return [1, 8, 15, 22, days] if days > 25 else [1, days]


def _amount(value: Decimal) -> str:
    """An axis' amount: whole units with thousands separators (2.5 steps may hold cents)."""
    whole = value == value.to_integral_value()
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


@dataclass(frozen=True, slots=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    kind: str
    """`budget` or `spent`, and `over` for a spend past its budget."""


@dataclass(frozen=True, slots=True)
class BarChart:
    """Budgets and spend by month: two bars a month."""

    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot: tuple[int, int, int, int]


def bar_chart(
    months: Sequence[tuple[str, Decimal | None, Decimal | None]], *, money: str = "{}"
) -> BarChart:
    """Bars of (label, budget, spent) per month, in the order given."""
    figures = [v or Decimal(0) for _, b, s in months for v in (b, s)]
    top_value = nice_top(max([*figures, Decimal(0)]))
    y = Scale(top_value, Decimal(HEIGHT - BOTTOM), Decimal(TOP))
    slot = Decimal(WIDTH - RIGHT - LEFT) / max(len(months), 1)
    bar = slot * Decimal("0.36")
    bars: list[Bar] = []
    ticks: list[Tick] = []
    for index, (label, budget, spent) in enumerate(months):
        left = Decimal(LEFT) + slot * index + slot * Decimal("0.14")
        over = spent is not None and budget is not None and spent > budget
        for offset, value, kind in (
            (0, budget, "budget"),
            (1, spent, "spent over" if over else "spent"),
        ):
            if value is None:
                continue
            top = y(max(value, Decimal(0)))
            bars.append(Bar(coordinate(left + bar * offset), coordinate(top), coordinate(bar),
                            coordinate(Decimal(HEIGHT - BOTTOM) - top), kind))  # fmt: skip
        ticks.append(Tick(coordinate(left + bar), label))
    return BarChart(
        width=WIDTH, height=HEIGHT, bars=bars, x_ticks=ticks,
        y_ticks=[Tick(coordinate(y(top_value * k / 4)), money.format(_amount(top_value * k / 4)))
                 for k in range(5)],
        plot=(LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM),
    )  # fmt: skip
