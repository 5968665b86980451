"""E-mail templates (Jinja2): built in, each overridable from BUDGETGUARD_TEMPLATE_DIR.

Jinja2 rather than `string.Template`: the HTML body must escape what shops typed (a shop name
with `<` or `&`), and the wording differs between kinds; Jinja2 autoescapes `.html` templates and
has conditionals. Undefined names are errors, and every template is rendered once at start-up,
so a broken override stops the command instead of failing every e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from budgetguard.domain.errors import ConfigError
from budgetguard.domain.money import format_money
from budgetguard.domain.notification import Action, Kind, Notification
from budgetguard.domain.period import Month
from budgetguard.domain.wording import action_taken, progress_bar, subject

BUILT_IN = Path(__file__).parent / "templates"
NAMES = ("email_subject.txt", "email.txt", "email.html")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def context(notification: Notification) -> dict[str, Any]:
    """Return what the templates may use."""
    n = notification
    return {
        "subject": subject(n),
        "kind": n.kind.value,
        "notification_id": n.id,
        "shop_id": n.shop_id,
        "shop_name": n.shop_name,
        "month": str(n.month),
        "month_label": n.month.label,
        "date": n.evaluated_on.isoformat(),
        "budget": format_money(n.budget),
        "spent": format_money(n.spent),
        "percent": str(n.percent),
        "thresholds": list(n.thresholds),
        "thresholds_text": ", ".join(f"{t} %" for t in n.thresholds),
        "action": n.action.value if n.action else None,
        "action_text": action_taken(n),
        "bar": progress_bar(n.percent),
    }


class Templates:
    """The e-mail templates, loaded and checked once."""

    def __init__(self, directory: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(BUILT_IN)]
        if directory is not None:
            loaders.insert(0, jinja2.FileSystemLoader(directory))
        self._env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        try:
            self.render(_SAMPLE)
        except (jinja2.TemplateError, OSError) as error:
            raise ConfigError(
                f"BUDGETGUARD_TEMPLATE_DIR: {type(error).__name__}: {error}"
            ) from None

    def render(self, notification: Notification) -> RenderedEmail:
        values = context(notification)
        line = self._env.get_template(NAMES[0]).render(values)
        return RenderedEmail(
            subject=" ".join(line.split()),  # one line, whatever the template did
            text=self._env.get_template(NAMES[1]).render(values),
            html=self._env.get_template(NAMES[2]).render(values),
        )


_SAMPLE = Notification(
    id=1,
    kind=Kind.THRESHOLD,
    shop_id=1,
    shop_name="Sample <Shop> & Co",
    month=Month(2020, 7),
    budget=Decimal("670.00"),
    spent=Decimal("715.64"),
    thresholds=(50, 100),
    action=Action.PAUSED,
    evaluated_on=date(2020, 7, 1),
    created_at=datetime(2020, 7, 1, tzinfo=UTC),
)
