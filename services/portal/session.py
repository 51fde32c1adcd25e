"""Who is signed in: the bearer token kept in an HttpOnly cookie, verified on every request.

The cookie holds the token itself, so the portal keeps no session store and any replica can
serve any request. Scripts in the page never see the token (HttpOnly), and forms carry a CSRF
token derived from it, so another site cannot post in the person's name.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import Depends, Request

from shared.auth import Principal, Role, TokenVerifier
from shared.errors import ProblemError

WRITERS = frozenset({Role.PMO_ADMIN, Role.PMO_ANALYST})
STAFF = frozenset({Role.PMO_ADMIN, Role.PMO_ANALYST, Role.VIEWER, Role.INTEGRATION})
MAX_FORM_BYTES = 64 * 1024


class NeedsSignIn(Exception):
    """No valid session: the person is sent to the sign-in page, then back to `next_path`."""

    def __init__(self, next_path: str = "/", reason: str = "") -> None:
        super().__init__(reason)
        self.next_path = next_path
        self.reason = reason


class NotForYou(ProblemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class BadForm(ProblemError):
    status, title, slug = 400, "Bad Request", "bad-form"


@dataclass(frozen=True)
class Session:
    token: str
    principal: Principal
    csrf: str

    @property
    def roles(self) -> frozenset[Role]:
        return self.principal.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)

    @property
    def can_write(self) -> bool:
        return bool(self.roles & WRITERS)

    @property
    def is_admin(self) -> bool:
        return Role.PMO_ADMIN in self.roles

    @property
    def is_customer(self) -> bool:
        return self.principal.is_customer_only

    @property
    def home(self) -> str:
        if self.is_customer:
            return "/me"
        if self.can_write:
            return "/pmo/backlog"
        return "/exec"

    @property
    def role_label(self) -> str:
        return ", ".join(sorted(role.value for role in self.roles)) or "no role"


def csrf_token(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()[:40]


async def current_session(request: Request) -> Session | None:
    """The verified session of this request, or None (a bad or expired cookie counts as none)."""
    if hasattr(request.state, "session"):
        return request.state.session
    portal = request.app.state.portal
    token = request.cookies.get(portal.settings.session_cookie)
    session = None
    if token:
        try:
            principal = await portal.verifier.verify(token)
        except ProblemError:
            principal = None
        if principal is not None:
            session = Session(token, principal, csrf_token(portal.secret, token))
    request.state.session = session
    return session


async def require_session(request: Request) -> Session:
    session = await current_session(request)
    if session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise NeedsSignIn(path)
    return session


async def require_staff(session: Annotated[Session, Depends(require_session)]) -> Session:
    if not session.is_staff:
        raise NotForYou("the PMO views are for PMO staff and viewers")
    return session


async def require_customer(session: Annotated[Session, Depends(require_session)]) -> Session:
    if not session.is_customer:
        raise NotForYou("the customer views need a customer sign-in")
    return session


Signed = Annotated[Session, Depends(require_session)]
Staff = Annotated[Session, Depends(require_staff)]
Customer = Annotated[Session, Depends(require_customer)]


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form body (the portal's forms only send those)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise BadForm("forms are sent as application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("the form is too large")
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=200))
    except (UnicodeDecodeError, ValueError):
        raise BadForm("the form could not be read") from None


def check_origin(request: Request) -> None:
    """A form posted from another site is refused, whatever cookies it rides on."""
    origin = request.headers.get("origin")
    if not origin:
        return  # same-origin form posts from older browsers; the CSRF token still guards them
    # Host, not scheme: behind a TLS-terminating proxy the portal itself is reached over http.
    allowed = set(request.app.state.portal.settings.public_origin_list)
    if urlsplit(origin).netloc != request.headers.get("host") and origin.rstrip("/") not in allowed:
        raise NotForYou("the form was posted from another site")


async def checked_form(request: Request, session: Signed) -> dict[str, str]:
    """The posted form once its CSRF token and origin are checked."""
    check_origin(request)
    form = await read_form(request)
    if not hmac.compare_digest(form.get("csrf", ""), session.csrf):
        raise NotForYou("the form is stale or was not sent from this portal; reload and try again")
    return form


Form = Annotated[dict[str, str], Depends(checked_form)]


def sign_in_url(next_path: str, reason: str = "") -> str:
    url = f"/signin?next={quote(next_path, safe='/')}"
    return url + (f"&reason={quote(reason)}" if reason else "")


def verifier_for(settings) -> TokenVerifier:
    return TokenVerifier(settings)
