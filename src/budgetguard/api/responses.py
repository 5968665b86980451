"""The problem responses each route documents in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from budgetguard.api.problems import MEDIA_TYPE
from budgetguard.api.schemas.common import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document `statuses` (and 401, 422, 503, which any /v1 route may answer) as problems."""
    wanted = sorted({401, 422, 503, *statuses})
    return {
        status: {"model": Problem, "content": {MEDIA_TYPE: {}}, "description": _WHAT[status]}
        for status in wanted
    }


_WHAT = {
    400: "Malformed JSON.",
    401: "No API key, or an unknown one.",
    404: "The shop (or budget) does not exist.",
    409: "Conflicts with what is stored; nothing was changed.",
    413: "The body is larger than BUDGETGUARD_MAX_BODY_BYTES.",
    422: "Invalid values; `errors` names each field and why.",
    503: "The database is unavailable or not ready.",
}
