"""Use cases of secrets at rest: seal the contacts stored in clear once a key is set, re-seal
every contact under the first key (rotation), make a key. db/plumbing/sealing.py says how."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from budgetguard.db.outbox.sealed_contacts import Resealed, contacts_after, reseal
from budgetguard.db.plumbing.sealing import new_key
from budgetguard.domain.errors import BudgetguardError, ConfigError
from budgetguard.services.database import open_database
from budgetguard.services.uow import Context, write

__all__ = ["Resealed", "SealingReport", "new_secret_key", "rotate_secrets", "seal_clear_contacts"]
log = logging.getLogger("budgetguard.secrets")

BATCH = 500
"""Contacts sealed per transaction: short transactions, whatever the table holds."""
NO_KEY_WARNING = (
    "BUDGETGUARD_SECRET_KEY is not set: webhook signing secrets and webhook and Slack URLs are "
    "stored in clear (see the README, Secrets at rest)"
)


@dataclass
class SealingReport:
    """What a pass over the stored contacts did, by outcome; which ones no key opens."""

    done: Counter[Resealed] = field(default_factory=Counter)
    unreadable: list[int] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.done.total()


def seal_clear_contacts(*, context: Context) -> SealingReport | None:
    """At the start of `serve` and `deliver`: seal the contacts still stored in clear, or say
    once that there is no key to seal them with (None)."""
    if not context.settings.keyring.active:
        log.warning(NO_KEY_WARNING)
        return None
    try:
        open_database(context=context)
        report = _reseal_all(context, clear_only=True, progress=None)
    except (BudgetguardError, SQLAlchemyError) as error:  # the database may be down at start
        log.warning("could not encrypt the contacts stored in clear now (%s); the next start "
                    "or `budgetguard db rotate-secrets` will", type(error).__name__)  # fmt: skip
        return None
    if report.done[Resealed.SEALED]:
        log.info("encrypted %s contacts that were stored in clear", report.done[Resealed.SEALED])
    return report


def rotate_secrets(
    *, context: Context, progress: Callable[[SealingReport], None] | None = None
) -> SealingReport:
    """Seal every stored contact under the first key of BUDGETGUARD_SECRET_KEY, in batches.

    Safe to run again, and beside `serve`: a contact written meanwhile is left as written.
    """
    if not context.settings.keyring.active:
        raise ConfigError("BUDGETGUARD_SECRET_KEY: rotate-secrets needs at least one key")
    open_database(context=context)
    return _reseal_all(context, clear_only=False, progress=progress)


def new_secret_key() -> str:
    """Return a fresh key for BUDGETGUARD_SECRET_KEY."""
    return new_key()


def _reseal_all(
    context: Context, *, clear_only: bool, progress: Callable[[SealingReport], None] | None
) -> SealingReport:
    report = SealingReport()
    after_id = 0

    def batch(connection: Connection) -> list[tuple[int, Resealed]]:
        rows = contacts_after(connection, after_id=after_id, limit=BATCH, clear_only=clear_only)
        return [(row.id, reseal(connection, row)) for row in rows]

    while done := write(context, batch, what="sealing contacts"):
        after_id = done[-1][0]
        report.done.update(outcome for _, outcome in done)
        report.unreadable += [i for i, outcome in done if outcome is Resealed.UNREADABLE]
        if progress is not None:
            progress(report)
    return report
