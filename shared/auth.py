"""JWT authentication, the contract's roles, and authorization as a table of operations."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlparse

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.errors import Forbidden, ServiceUnavailable, Unauthorized
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

REALM = "pmo-platform"
# Claims every token must carry; nbf is checked whenever it is present.
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]
MAX_TOKEN_CHARS = 8192
MAX_SUB_CHARS = 200  # actors are stored in columns of this width
MAX_ROLES = 20
# Verified tokens are remembered this long at most (and never past their exp): a client sends the
# same token with every request, and checking its signature again costs more than a small route.
# The bound is what a revoked signing key may still be honoured for.
VERIFIED_TOKEN_SECONDS = 60.0
VERIFIED_TOKENS_KEPT = 1024
_CUSTOMER_ID = re.compile(r"^[0-9a-fA-F-]{36}$")


class InsecureConfiguration(RuntimeError):
    """Settings a production service must not start with."""


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


def check_key_source(settings: ServiceSettings) -> None:
    """Production verifies RS256 against a JWKS endpoint; a shared HS256 secret is for development."""
    if settings.env != "production":
        return
    if not settings.jwt_jwks_url:
        reason = ("PMO_JWT_SECRET is the development secret"
                  if settings.jwt_secret == DEVELOPMENT_JWT_SECRET
                  else "HS256 shared secrets are for development only")
        raise InsecureConfiguration(
            f"PMO_ENV=production needs PMO_JWT_JWKS_URL (RS256 keys of the token issuer); {reason}")
    url = urlparse(settings.jwt_jwks_url)
    if url.scheme != "https" and not _is_loopback(url.hostname or ""):
        raise InsecureConfiguration("PMO_JWT_JWKS_URL must be https outside the local machine")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class TokenVerifier:
    """Checks signature, exp, nbf, iat, iss and aud: HS256 in development, RS256 (JWKS) otherwise."""

    def __init__(self, settings: ServiceSettings) -> None:
        check_key_source(settings)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks: jwt.PyJWKClient | None = None
        if settings.jwt_jwks_url:
            # Keys are cached; an unknown `kid` refetches at most once per cooldown, so forged
            # key ids cannot turn every request into a call to the issuer.
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True,
                                         lifespan=settings.jwt_jwks_cache_seconds, timeout=5,
                                         cooldown_duration=30)
            self._algorithms, self._secret = ["RS256"], None
        else:
            self._algorithms, self._secret = ["HS256"], settings.jwt_secret
        # token -> (principal, monotonic deadline); only tokens that passed every check are kept.
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_CHARS:
            raise invalid_token("token is too long")
        known = self._verified.get(token)
        if known is not None:
            if time.monotonic() < known[1]:
                return known[0]
            del self._verified[token]
        principal, claims = await self._decode(token)
        self._remember(token, principal, int(claims["exp"]))
        return principal

    def _remember(self, token: str, principal: Principal, exp: float) -> None:
        """Keeps a verified token until it would be refused as expired, VERIFIED_TOKEN_SECONDS at most."""
        # PyJWT refuses a token once exp <= now - leeway: valid while now < exp + leeway.
        valid_for = min(exp + self._leeway - time.time(), VERIFIED_TOKEN_SECONDS)
        if valid_for <= 0:
            return
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[token] = (principal, time.monotonic() + valid_for)

    async def _decode(self, token: str) -> tuple[Principal, dict]:
        try:
            key = self._secret
            if self._jwks is not None:
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            claims = jwt.decode(token, key, algorithms=self._algorithms, audience=self._audience,
                                issuer=self._issuer, leeway=self._leeway,
                                options={"require": REQUIRED_CLAIMS})
        except jwt.PyJWKClientConnectionError:
            raise ServiceUnavailable("the token issuer's signing keys cannot be fetched now") from None
        except jwt.PyJWTError as error:
            raise invalid_token(f"invalid token: {error}") from None
        return principal_from_claims(claims), claims


def invalid_token(detail: str) -> Unauthorized:
    """401 with the RFC 6750 challenge for a token that was presented but is not acceptable."""
    error = Unauthorized(detail)
    error.headers = {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'}
    return error


def principal_from_claims(claims: dict) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUB_CHARS:
        raise invalid_token(f"sub must be a string of 1..{MAX_SUB_CHARS} characters")
    raw_roles = claims.get("roles")
    if not isinstance(raw_roles, list) or len(raw_roles) > MAX_ROLES:
        raise invalid_token("token has no roles list")
    roles = frozenset(Role(role) for role in raw_roles
                      if isinstance(role, str) and role in Role.__members__.values())
    customer_id = claims.get("customer_id")
    if customer_id is not None and not (isinstance(customer_id, str)
                                        and _CUSTOMER_ID.match(customer_id)):
        raise invalid_token("customer_id must be a customer id (uuid)")
    if Role.CUSTOMER in roles and not customer_id:
        raise invalid_token("a customer token must carry customer_id")
    return Principal(sub=sub, roles=roles, customer_id=customer_id.lower() if customer_id else None)


bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth", bearerFormat="JWT",
                    description="A JWT: HS256 (PMO_JWT_SECRET) in development, RS256 (JWKS) in "
                                "production")
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller of this request, checked once and cached on the request."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if credentials is None:
        error = Unauthorized("missing bearer token")
        error.headers = {"WWW-Authenticate": f'Bearer realm="{REALM}"'}
        raise error
    principal = await request.app.state.runtime.verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


async def authorize(request: Request, credentials: BearerCredentials) -> Principal:
    """Authenticates, then checks the route's operation against the service's access table."""
    principal = await authenticate(request, credentials)
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
