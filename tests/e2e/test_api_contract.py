"""The OpenAPI schema as a contract: Schemathesis generates requests from it, valid ones and
invalid ones, against the running API on every database; none may get a 5xx, and every error
is a problem document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation

from support.api import JUNE, Api
from support.server import AUTH

EXAMPLES = 25


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(api: Api, mode: GenerationMode) -> None:
    for shop_id in (1, 2, 3):
        api.world.platform.add_shop(shop_id)
        api.world.platform.set_budget(shop_id, JUNE, "100.00", "40.00")
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]

    assert len(operations) == 23
    for operation in operations:
        _hold(operation, mode)


def _hold(operation: APIOperation, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def no_server_error(case: Case) -> None:
        response = case.call(headers=AUTH, timeout=60)
        where = f"{case.method} {case.formatted_path}"
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
        if response.status_code >= 400 and operation.path.startswith("/v1"):
            assert response.headers["content-type"] == ["application/problem+json"], where

    try:
        no_server_error()
    except Unsatisfiable:
        # An operation without inputs (GET /healthz) has no invalid request to generate.
        assert mode is GenerationMode.NEGATIVE, operation.path
