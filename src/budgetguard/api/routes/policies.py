"""A shop's own policy: read it, replace it (PUT), merge into it (PATCH), clear it (DELETE).

Every change is recorded in the audit trail under the caller's API key (`api:<key name>`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from budgetguard.api.dependencies import Actor, Wired
from budgetguard.api.responses import problems
from budgetguard.api.schemas.policies import EffectivePolicyOut, OwnPolicy, PolicyIn, PolicyOut
from budgetguard.domain.ids import LARGEST_ID
from budgetguard.services import policies
from budgetguard.services.policies import ShownPolicy

router = APIRouter(prefix="/shops/{shop_id}/policy", tags=["policies"])

ShopPath = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The shop's id.")]


@router.get("", operation_id="policy-get", responses=problems(404))
def get_policy(*, wired: Wired, shop_id: ShopPath) -> PolicyOut:
    """The shop's own policy and the effective one, each value with its source."""
    return _out(policies.show_policy(context=wired.context, shop_id=shop_id))


@router.put("", operation_id="policy-put", responses=problems(400, 404, 413))
def replace_policy(*, wired: Wired, actor: Actor, shop_id: ShopPath, body: PolicyIn) -> PolicyOut:
    """Replace the shop's policy: the fields given are set, every other one is unset.

    The whole policy is checked against the settings (the pause threshold must be one of the
    thresholds, or `none`); a refusal (422) names each field at fault and stores nothing.
    """
    shown = policies.replace_policy(
        context=wired.context, shop_id=shop_id, policy=body.policy(), actor=actor
    )
    return _out(shown)


@router.patch("", operation_id="policy-patch", responses=problems(400, 404, 413))
def merge_policy(*, wired: Wired, actor: Actor, shop_id: ShopPath, body: PolicyIn) -> PolicyOut:
    """Change some fields of the shop's policy: a value sets a field, null unsets it, a field
    left out keeps its value. Checked as PUT is."""
    shown = policies.set_policy(
        context=wired.context,
        shop_id=shop_id,
        changes=body.policy(),
        cleared=body.nulled(),
        actor=actor,
    )
    return _out(shown)


@router.delete("", operation_id="policy-delete", status_code=204, responses=problems(404))
def clear_policy(*, wired: Wired, actor: Actor, shop_id: ShopPath) -> Response:
    """Unset every field of the shop's policy: the settings apply again."""
    policies.clear_policy(context=wired.context, shop_id=shop_id, actor=actor)
    return Response(status_code=204)


def _out(shown: ShownPolicy) -> PolicyOut:
    return PolicyOut(
        shop_id=shown.shop_id,
        own=OwnPolicy.of(shown.own),
        effective=EffectivePolicyOut.of(shown.effective),
    )
