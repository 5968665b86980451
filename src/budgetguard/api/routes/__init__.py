"""The routes, by area. Everything under `/v1` needs an API key: the `v1` router carries the
`caller` dependency once, so a route added to it cannot skip authentication. Each operation has
a short, stable id (`spend-post`, `shops-list`, …) for client generators."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from budgetguard.api.dependencies import caller
from budgetguard.api.routes import (
    checks,
    contacts,
    deliveries,
    notifications,
    operations,
    policies,
    shops,
    spend,
)

health = operations.router

v1 = APIRouter(prefix="/v1", dependencies=[Depends(caller)])
for area in (spend, shops, policies, contacts, deliveries, notifications, checks):
    v1.include_router(area.router)
