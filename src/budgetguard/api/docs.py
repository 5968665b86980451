"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), served with their
scripts and styles from the package (docs_assets/, versions in its VERSIONS.md): FastAPI's own
pages load them from a CDN, and are blank on a host without internet.

Each page carries a Content-Security-Policy allowing this origin only, so the browser itself
refuses any load from elsewhere (the one inline script of Swagger UI is allowed by its hash)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from budgetguard.api.static_files import asset_url, static_app

ASSETS = Path(__file__).parent / "docs_assets"
PREFIX = "/docs/assets"
SWAGGER_PARAMETERS = {
    # No badge from validator.swagger.io: BaseLayout shows none, and null keeps it so if the
    # layout changes.
    "validatorUrl": None,
    "persistAuthorization": False,
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install_docs(api: FastAPI) -> None:
    """Serve /docs, /redoc and their assets from `api` (built with docs_url=redoc_url=None)."""
    openapi_url = api.openapi_url or "/openapi.json"
    title = f"{api.title} {api.version}: HTTP API"
    api.mount(PREFIX, static_app(ASSETS), name="docs-assets")

    @api.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=asset_url(PREFIX, ASSETS, "swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=asset_url(PREFIX, ASSETS, "swagger-ui/swagger-ui.css"),
            swagger_favicon_url=asset_url(PREFIX, ASSETS, "swagger-ui/favicon-32x32.png"),
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )
        return _with_headers(page)

    @api.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=asset_url(PREFIX, ASSETS, "redoc/redoc.standalone.js"),
            redoc_favicon_url=asset_url(PREFIX, ASSETS, "swagger-ui/favicon-32x32.png"),
            with_google_fonts=False,
        )
        return _with_headers(page)


def _with_headers(page: HTMLResponse) -> HTMLResponse:
    """`page` in English, with a policy refusing every origin but this one."""
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    scripts = " ".join(f"'sha256-{_sha256(s)}'" for s in _INLINE_SCRIPT.findall(html))
    policy = (
        f"default-src 'self'; script-src 'self' {scripts}; worker-src 'self' blob:; "
        # Both draw with inline styles (React style props, ReDoc's styled-components).
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    return HTMLResponse(html, headers=headers)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
