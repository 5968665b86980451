"""Rendering a page: the package's Jinja2 templates (autoescaped), what every page is handed,
and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from budgetguard import __version__
from budgetguard.api.static_files import asset_url
from budgetguard.web import formats
from budgetguard.web.auth import SignedIn
from budgetguard.web.state import runtime_of
from budgetguard.web.timeline import action_label, described

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["version"] = __version__
formats.install(templates.env)
templates.env.filters.update(audit_action=action_label, audit_detail=described)


def asset(name: str) -> str:
    """The URL of static file `name` with the digest of its content: cached a year, renamed by
    any change (api/static_files.py)."""
    return asset_url("/static", STATIC, name)


templates.env.globals["asset"] = asset

NAVIGATION = (("overview", "/", "Overview"), ("shops", "/shops", "Shops"),
              ("deliveries", "/deliveries", "Deliveries"))  # fmt: skip
"""The sections of the console: (key, path, label)."""

# Pages show one person's view of live data: never stored by a shared cache, never framed.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def page(
    request: Request,
    template: str,
    *,
    signed: SignedIn | None,
    section: str | None = None,
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render `template` for the signed-in user (None: a page outside the console's sessions)."""
    context = {
        "settings": runtime_of(request).context.settings,
        "user": None if signed is None else signed.user,
        "csrf": None if signed is None else signed.csrf,
        "navigation": NAVIGATION if signed is not None else (),
        "section": section,
        **values,
    }
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers.update(PAGE_HEADERS)
    return response


def error_page(
    request: Request, status: int, title: str, message: str, *, signed: SignedIn | None = None
) -> HTMLResponse:
    """A plain page saying what went wrong, and nothing more."""
    return page(request, "error.html", signed=signed, status=status, title=title, message=message)
