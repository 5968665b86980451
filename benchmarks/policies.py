"""Benchmark the evaluation of shops on their own terms (issue 9) against one global policy.

For each database and size it builds N shops with a budget for the month of --at (evaluate.py's
loader: one shop in ten offline; budgets 50.00-500.00; spend 0-125 % of the budget, skewed low
as on the 20th of a month: about 37 % of shops past 50 %, 20 % past 80 %, 11 % past 100 %, 2 %
past 120 %), then runs, each from the same starting state (evaluate.py's reset: budgetguard's
rows deleted, shops back online as built, ANALYZE / VACUUM ANALYZE):

* global: no bg_policies rows, every shop on the settings (default 50,100, pause at 100, UTC):
  the first evaluation, then a no-change one;
* policies: the same data with bg_policies rows, written in one INSERT ... SELECT with their
  threshold masks (db/catalog/policies.py). Shops are spread evenly over the zones (--zones;
  the first is the settings' BUDGETGUARD_TIMEZONE and its shops have no row of their own; the
  others' rows name the zone and a currency, Berlin's also the language de: 80 % of shops with
  5 zones), and 10 % of shops, evenly over the zones, have custom terms (2 % each):
      50,80,100 pause at 100 | 80,100 pause at 100, forecast off | 50,90,100 soft limit |
      the default thresholds as a soft limit, recurring budget 500.00 | 25,50,75,100,120 pause
      at 120;
  the first evaluation, then a no-change one.

Each evaluation is `check --no-delivery` (--deliver: then the console delivery to /dev/null) in
a fresh process (check_child.py): the evaluation's time on its own clock, and the process's own
peak memory (VmHWM). Each round alternates which of global and policies runs first.

Targets (issue 9, at 1,000,000 shops): (a)/(b) the first evaluation with policies within 1.5x
the global one; (c) a no-change evaluation with policies <= 2 s; (d) peak memory <= 300 MB.

The default instant, 2020-06-20T12:00:00Z, is in June on the five default zones: one month
pass. An --at between two midnights (2020-06-30T18:00:00Z: July in Tokyo and Sydney, June
elsewhere) makes the evaluation run two passes; every shop then has a budget row for each
month, the later month's with no spend yet.

The settings (BUDGETGUARD_THRESHOLDS, BUDGETGUARD_PAUSE_AT, ...) in the environment are the
defaults of both sides; BUDGETGUARD_TIMEZONE is the first of --zones. The servers are those of
evaluate.py (BUDGETGUARD_BENCH_MARIADB_URL, BUDGETGUARD_BENCH_POSTGRESQL_URL); each run gets a
scratch database, dropped afterwards.

Usage: python benchmarks/policies.py [--backends sqlite,mariadb,postgresql] [--sizes 1000000]
           [--at 2020-06-20T12:00:00Z] [--zones UTC,Europe/Berlin,...] [--rounds 1]
           [--deliver] [--src DIR]
Quick sanity (seconds): python benchmarks/policies.py --sizes 2000 --backends sqlite
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import case, delete, insert, literal, null, select, text, type_coerce
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

sys.path.insert(0, str(Path(__file__).parent))
from budgetguard.config import load_settings
from budgetguard.db.catalog.policies import ensure_bits, to_values
from budgetguard.db.plumbing.engine import make_engine
from budgetguard.db.schema import revisions
from budgetguard.db.schema.tables import policies, shops
from budgetguard.domain.policy import (
    SOFT_LIMIT,
    PolicyDefaults,
    PolicyError,
    ShopPolicy,
    check,
    parse_timezone,
)
from budgetguard.domain.shop_clock import MonthPass, month_passes
from evaluate import OWN_SRC, add_budgets, analyse, budgetguard_check, build, reset
from scratch import DEFAULT_SERVERS, run_each

AT = "2020-06-20T12:00:00+00:00"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
LOCAL_TERMS = {
    "Europe/Berlin": ShopPolicy(language="de", currency="EUR"),
    "America/New_York": ShopPolicy(currency="USD"),
    "Asia/Tokyo": ShopPolicy(currency="JPY"),
    "Australia/Sydney": ShopPolicy(currency="AUD"),
}
"""What a shop in a zone other than the settings' sets beside its zone."""

CUSTOM_TERMS = (
    ShopPolicy(thresholds=(50, 80, 100), pause_at=100),
    ShopPolicy(thresholds=(80, 100), pause_at=100, forecast=False),
    ShopPolicy(thresholds=(50, 90, 100), pause_at=SOFT_LIMIT),
    ShopPolicy(pause_at=SOFT_LIMIT, recurring_budget=Decimal("500.00")),
    ShopPolicy(thresholds=(25, 50, 75, 100, 120), pause_at=120),
)
"""The custom terms of one shop in ten, one fifth of them each."""

CYCLE = 250
"""A shop's policy is the one of its id modulo CYCLE (which 5, 10 and 50 divide)."""

BUDGET = "(50.00 + (n % 19) * 25)"
SHARE = "(((n % 997) * 7919) % 997)"  # (n * 7919) mod 997: 0-996, evenly, without overflow
SPENT = f"ROUND({BUDGET} * {SHARE} * {SHARE} / 794000, 2)"
"""Spend 0-125 % of the budget, the square of an even spread: most shops far from 100 %."""

TARGET_RATIO, TARGET_NO_CHANGE_S, TARGET_PEAK_MB, TARGET_SHOPS = 1.5, 2.0, 300, 1_000_000


def custom_terms(residue: int) -> ShopPolicy | None:
    """The custom terms of the shops whose id modulo CYCLE is `residue`, if any: 25 residues of
    250, five per terms, one in each residue modulo 5 (with 5 zones: one in each zone)."""
    tens, unit = divmod(residue, 10)
    return CUSTOM_TERMS[tens // 5] if unit == 2 * (tens % 5) else None


def plan(zones: tuple[str, ...], defaults: PolicyDefaults) -> dict[int, ShopPolicy]:
    """Each residue of a shop id modulo CYCLE whose shops have a policy row, and that policy."""
    rows: dict[int, ShopPolicy] = {}
    for residue in range(CYCLE):
        zone = zones[residue % len(zones)]
        own = ShopPolicy()
        if zone != zones[0]:
            own = ShopPolicy(timezone=zone).merged(LOCAL_TERMS.get(zone, ShopPolicy()))
        own = own.merged(custom_terms(residue) or ShopPolicy())
        if not own.is_empty():
            rows[residue] = check(own, defaults)
    return rows


def add_policies(engine: Engine, zones: tuple[str, ...], defaults: PolicyDefaults) -> None:
    """Write every shop's policy row of the plan in one INSERT ... SELECT over t_shops."""
    terms = plan(zones, defaults)
    with engine.begin() as c:
        used = [t for policy in terms.values() for t in policy.thresholds or ()]
        bits = ensure_bits(c, [*defaults.thresholds, *used], settings=defaults.thresholds)
        now = datetime.fromisoformat(AT)
        rows = {residue: to_values(p, bits) | {"updated_at": now} for residue, p in terms.items()}
        names = list(next(iter(rows.values())))
        key = shops.c.a_id % CYCLE
        chosen = select(shops.c.a_id, *(by_residue(key, rows, name) for name in names))
        c.execute(
            insert(policies).from_select(["shop_id", *names], chosen.where(key.in_(sorted(rows))))
        )


def by_residue(
    key: ColumnElement[int], rows: dict[int, dict[str, Any]], name: str
) -> ColumnElement[Any]:
    """The column `name` of each row: one CASE over the residues that share each value."""
    column_type = policies.c[name].type
    groups: dict[Any, list[int]] = {}
    for residue, values in rows.items():
        if values[name] is not None:
            groups.setdefault(values[name], []).append(residue)
    if not groups:
        return type_coerce(null(), column_type)
    return case(
        *((key.in_(residues), literal(value, column_type)) for value, residues in groups.items()),
        else_=null(),
    )


def clear_policies(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(delete(policies))


def composition(c: Connection, month: str) -> dict[str, int]:
    """How many budgets of `month` are past 50 and 100 %, and how many policy rows of each kind."""
    past = "SUM(CASE WHEN a_amount_spent * 100 >= a_budget_amount * {} THEN 1 ELSE 0 END)"
    budgets = c.execute(text(
        f"SELECT COUNT(*), {past.format(50)}, {past.format(100)} FROM t_budgets "
        f"WHERE a_month = '{month}'"
    )).one()  # fmt: skip
    # Every custom terms set pause_at; no zone's own row does.
    rows = c.execute(text("SELECT COUNT(*), COUNT(timezone), COUNT(pause_at) FROM bg_policies"))
    policy_rows, zoned, custom = rows.one()
    return {
        "budgets": budgets[0], "past_50": int(budgets[1]), "past_100": int(budgets[2]),
        "policy_rows": policy_rows, "zoned_rows": zoned, "custom_rows": custom,
    }  # fmt: skip


def checks(url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The first evaluation and a no-change one, each in a fresh `check` process."""
    env = {"BUDGETGUARD_TIMEZONE": args.zones[0]}
    return {
        run: budgetguard_check(url, args.src, deliver=args.deliver, at=args.at, env=env)
        for run in ("first", "again")
    }


def measure(backend: str, url: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url, timeout=None)  # building data: no bound on a statement
    try:
        return {"backend": backend, **measured(engine, url, n, args)}
    finally:
        engine.dispose()


def measured(engine: Engine, url: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    revisions.upgrade(engine)
    months = [p.month.first_day.isoformat() for p in args.passes]
    started = time.perf_counter()
    build(engine, n, month=months[0], budget=BUDGET, spent=SPENT)
    for later in months[1:]:  # its first hours: no spend yet
        add_budgets(engine, n, month=later, budget=BUDGET, spent="0.00")
    analyse(engine)
    result: dict[str, Any] = {"shops": n, "months": months}
    result["build_s"] = round(time.perf_counter() - started, 2)
    result["runs"] = []
    for round_ in range(1, args.rounds + 1):
        run: dict[str, Any] = {"round": round_}
        for side in ("global", "policies") if round_ % 2 else ("policies", "global"):
            if side == "policies":
                started = time.perf_counter()
                add_policies(engine, args.zones, args.defaults)
                run["policies_load_s"] = round(time.perf_counter() - started, 2)
                with engine.connect() as c:
                    result["data"] = composition(c, months[0])
                analyse(engine)
            run[side] = checks(url, args)
            clear_policies(engine)
            reset(engine)  # and analyse
        result["runs"].append(run)
    return result


def mark(value: float | int, limit: float, *, applies: bool = True) -> str:
    """The value, with whether it meets its target (none below the target's size)."""
    shown = f"{value:.2f}" if isinstance(value, float) else f"{value}"
    if not applies:
        return shown
    return f"{shown} {'ok' if value <= limit else 'OVER'}"


def report(r: dict[str, Any]) -> list[str]:
    """The table's rows of one database and size, one per round."""
    lines = []
    for run in r["runs"]:
        glob, own = run["global"], run["policies"]
        first_s = own["first"]["evaluate_s"]
        ratio = first_s / max(glob["first"]["evaluate_s"], 0.01)
        peak = max(own["first"]["max_rss_mb"], own["again"]["max_rss_mb"])
        peak_global = max(glob["first"]["max_rss_mb"], glob["again"]["max_rss_mb"])
        if own["first"]["delivered"]:
            first = f"{first_s:.2f} (+ delivery {own['first']['deliver_s']:.2f})"
        else:
            first = f"{first_s:.2f}"
        no_change = mark(
            own["again"]["evaluate_s"], TARGET_NO_CHANGE_S, applies=r["shops"] >= TARGET_SHOPS
        )
        lines.append(
            f"| {r['backend']} | {r['shops']:,} | {len(r['months'])} | {run['round']} "
            f"| {glob['first']['evaluate_s']:.2f} | {first} | {mark(ratio, TARGET_RATIO)} "
            f"| {glob['again']['evaluate_s']:.2f} | {no_change} "
            f"| {peak_global} | {mark(peak, TARGET_PEAK_MB)} "
            f"| {glob['first']['notifications']:,} / {own['first']['notifications']:,} |"
        )
    return lines


HEADER = (
    "| database | shops | passes | round | first evaluation, global (s) "
    "| first evaluation, policies (s) | ratio (target <= 1.5x) | no-change, global (s) "
    "| no-change, policies (s; target <= 2 at 1M) | peak, global (MB) "
    "| peak, policies (MB; target <= 300) | notifications global / policies |\n"
    "|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|---:|"
)


def describe(r: dict[str, Any]) -> str:
    d = r.get("data", {})
    shares = ", ".join(
        f"{d[k] * 100 / max(d['budgets'], 1):.1f} % {label}"
        for k, label in (("past_50", "past 50 %"), ("past_100", "past 100 %")) if k in d
    )  # fmt: skip
    loads = ", ".join(f"{run['policies_load_s']:.2f} s" for run in r["runs"])
    return (
        f"{r['backend']} {r['shops']:,} shops: built in {r['build_s']:.2f} s ({shares}); "
        f"{d.get('policy_rows', 0):,} policy rows ({d.get('zoned_rows', 0):,} in another zone, "
        f"{d.get('custom_rows', 0):,} with custom terms), written in {loads}"
    )


def zones_option(value: str) -> tuple[str, ...]:
    try:
        zones = tuple(parse_timezone(zone) for zone in value.split(",") if zone.strip())
    except PolicyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not zones:
        raise argparse.ArgumentTypeError("give at least one IANA time zone")
    return zones


def positive(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {value!r}")
    return int(value)


def sizes_option(value: str) -> list[int]:
    return [positive(size) for size in value.split(",")]


def instant_option(value: str) -> str:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not ISO 8601: {value!r}") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the instant's zone (Z or +hh:mm): {value!r}")
    return at.isoformat()


def passes_line(passes: Iterable[MonthPass]) -> str:
    return "; ".join(
        f"{p.month.first_day:%Y-%m} on {', '.join(c.zone for c in p.clocks)}" for p in passes
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--backends", "--backend", default="sqlite,mariadb,postgresql", help="comma-separated"
    )
    parser.add_argument(
        "--sizes", type=sizes_option, default=[1_000_000], help="numbers of shops, comma-separated"
    )
    parser.add_argument(
        "--at", type=instant_option, default=AT, help=f"the instant evaluated (default {AT})"
    )
    parser.add_argument(
        "--zones", type=zones_option, default=ZONES,
        help="IANA zones the shops are spread over; the first is the settings' (default: "
        + ",".join(ZONES) + ")",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=positive, default=1, help="global and policies, alternated (default 1)"
    )
    parser.add_argument("--deliver", action="store_true", help="each check delivers to /dev/null")
    parser.add_argument(
        "--src", default=OWN_SRC, help="the source tree whose `check` runs (default: this one's)"
    )
    args = parser.parse_args()
    args.src = str(Path(args.src).resolve())
    args.defaults = load_settings(timezone=args.zones[0]).policy_defaults
    args.passes = month_passes(datetime.fromisoformat(args.at), args.zones[0], args.zones)
    return args


def main() -> None:
    args = parse_args()
    print(f"servers: {DEFAULT_SERVERS}; load average {os.getloadavg()}", flush=True)
    print(f"at {args.at}: {len(args.passes)} pass(es): {passes_line(args.passes)}", flush=True)
    run_each(
        args.backends.split(","),
        args.sizes,
        lambda backend, url, n: measure(backend, url, n, args),
        report,
        header=HEADER,
        describe=describe,
    )


if __name__ == "__main__":
    main()
