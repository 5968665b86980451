"""Who is asking: the signed-in user of a page, and the checks on every form posted.

A page depends on `Viewer` (signed in: any role); an action on `Operator` (signed in, the form's
token matching the session's, and the operator's role). Without a session, a page redirects to
sign-in; a form without the session's token, or an operator's action posted by a viewer, is
403 and changes nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from budgetguard.domain.users import User
from budgetguard.services.sign_in import session_user
from budgetguard.web.session import stamp_of
from budgetguard.web.state import codec, runtime_of


class SignInRequired(Exception):
    """No valid session: the page redirects to sign-in, then back."""


class Forbidden(Exception):
    """Signed in, but this may not be done (a viewer's action, a form without its token)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    csrf: str


@dataclass(frozen=True, slots=True)
class Posted:
    """A form posted by a signed-in user with the session's token."""

    user: User
    csrf: str
    form: FormData

    @property
    def actor(self) -> str:
        """Who acts, as the audit trail names them."""
        return f"web:{self.user.name}"


def session_of(request: Request) -> SignedIn | None:
    """The request's session if it is valid: signed by us, not expired, not signed out, its user
    still there with the password it signed in with."""
    runtime = runtime_of(request)
    session = codec(runtime).read(request)
    if session is None:
        return None
    user = session_user(
        context=runtime.context, user_id=session.user_id, session_token=session.csrf
    )
    if user is None or stamp_of(user) != session.password_stamp:
        return None  # removed, signed out, or the password changed since
    return SignedIn(user, session.csrf)


def signed_in(request: Request) -> SignedIn:
    """The signed-in user (a plain function: FastAPI runs it in a thread, it reads the user)."""
    found = session_of(request)
    if found is None:
        raise SignInRequired
    request.state.user = found.user
    return found


Viewer = Annotated[SignedIn, Depends(signed_in)]


async def posted(request: Request, signed: Viewer) -> Posted:
    """The form of a POST whose token is the session's."""
    form = await request.form()
    token = form.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, signed.csrf):
        raise Forbidden("This form has expired or did not come from this console: reload the page.")
    return Posted(signed.user, signed.csrf, form)


SignedPost = Annotated[Posted, Depends(posted)]


def acting(post: SignedPost) -> Posted:
    """An operator's action: refused for a viewer."""
    if not post.user.may_act:
        raise Forbidden("Your role (viewer) may look but not act: ask an operator.")
    return post


Operator = Annotated[Posted, Depends(acting)]
