"""JWT authentication, the contract's roles, and authorization as a table of operations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import jwt
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, Unauthorized
from shared.settings import DEVELOPMENT_JWT_SECRET, ServiceSettings


class Role(StrEnum):
    PMO_ADMIN = "pmo_admin"
    PMO_ANALYST = "pmo_analyst"
    CUSTOMER = "customer"
    VIEWER = "viewer"
    INTEGRATION = "integration"


STAFF = frozenset({Role.PMO_ADMIN, Role.PMO_ANALYST, Role.VIEWER, Role.INTEGRATION})
EVERYONE = frozenset(Role)

AccessTable = Mapping[str, frozenset[Role]]


@dataclass(frozen=True)
class Principal:
    """Who calls: the token's subject, roles and, for a customer, the customer it speaks for."""

    sub: str
    roles: frozenset[Role]
    customer_id: str | None = None

    @property
    def is_customer_only(self) -> bool:
        """A customer token reaches only its own objects; staff roles lift that restriction."""
        return Role.CUSTOMER in self.roles and not (self.roles & STAFF)

    def may_see_customer(self, customer_id: str) -> bool:
        return not self.is_customer_only or self.customer_id == customer_id


def issue_token(secret: str, sub: str, roles: list[str], customer_id: str | None = None, *,
                issuer: str = "pmo-platform", audience: str = "pmo-platform",
                ttl_seconds: int = 8 * 3600) -> str:
    """An HS256 token the development stack accepts (what `pmo token` prints)."""
    now = int(time.time())
    claims = {"sub": sub, "roles": roles, "iss": issuer, "aud": audience, "iat": now, "nbf": now,
              "exp": now + ttl_seconds}
    if customer_id:
        claims["customer_id"] = customer_id
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    """Verifies signature, exp, nbf, iss and aud: HS256 in development, RS256 from JWKS otherwise."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._secret = settings.jwt_secret
        if settings.env == "production" and (self._jwks is None and (
                not self._secret or self._secret == DEVELOPMENT_JWT_SECRET)):
            raise RuntimeError("PMO_ENV=production needs PMO_JWT_JWKS_URL or a non-default PMO_JWT_SECRET")

    async def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(token, signing_key.key, algorithms=["RS256"],
                                    audience=self._audience, issuer=self._issuer,
                                    options={"require": ["exp", "sub"]})
            else:
                claims = jwt.decode(token, self._secret, algorithms=["HS256"],
                                    audience=self._audience, issuer=self._issuer,
                                    options={"require": ["exp", "sub"]})
        except jwt.PyJWTError as error:
            raise Unauthorized(f"invalid token: {error}") from None
        return principal_from_claims(claims)


def principal_from_claims(claims: dict) -> Principal:
    raw_roles = claims.get("roles")
    if not isinstance(raw_roles, list):
        raise Unauthorized("token has no roles list")
    roles = frozenset(Role(role) for role in raw_roles if role in Role.__members__.values())
    customer_id = claims.get("customer_id")
    if Role.CUSTOMER in roles and not customer_id:
        raise Unauthorized("a customer token must carry customer_id")
    return Principal(sub=str(claims["sub"]), roles=roles,
                     customer_id=str(customer_id) if customer_id else None)


bearer = HTTPBearer(auto_error=False)


async def authenticate(request: Request) -> Principal:
    """The caller of this request, checked once and cached on the request."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    credentials: HTTPAuthorizationCredentials | None = await bearer(request)
    if credentials is None:
        raise Unauthorized("missing bearer token")
    principal = await request.app.state.runtime.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


async def authorize(request: Request) -> Principal:
    """Authenticates, then checks the route's operation against the service's access table."""
    principal = await authenticate(request)
    runtime = request.app.state.runtime
    operation_id = request.scope["route"].operation_id
    allowed = runtime.access.get(operation_id)
    if allowed is None:
        raise Forbidden(f"operation '{operation_id}' has no entry in the access table")
    if not principal.roles & allowed:
        raise Forbidden(f"'{operation_id}' needs one of the roles: {', '.join(sorted(allowed))}")
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        runtime.write_limiter.check(principal.sub)
    return principal
