"""Verified tokens are remembered briefly, never past their expiry, and refusals never."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from shared import auth
from shared.auth import TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.settings import DEVELOPMENT_JWT_SECRET, ServiceSettings


def verifier(leeway: int = 0) -> TokenVerifier:
    return TokenVerifier(ServiceSettings(service_name="intake", jwt_leeway_seconds=leeway))


def counting_decodes(verifier: TokenVerifier, monkeypatch) -> list[str]:
    calls: list[str] = []
    decode = verifier._decode

    async def counted(token: str):
        calls.append(token)
        return await decode(token)

    monkeypatch.setattr(verifier, "_decode", counted)
    return calls


async def test_a_verified_token_is_checked_again_after_the_bound(monkeypatch):
    tokens = verifier()
    calls = counting_decodes(tokens, monkeypatch)
    token = issue_token(DEVELOPMENT_JWT_SECRET, "erp", ["integration"])
    first = await tokens.verify(token)
    assert await tokens.verify(token) == first and len(calls) == 1
    later = time.monotonic() + auth.VERIFIED_TOKEN_SECONDS + 1
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: later, time=time.time))
    assert await tokens.verify(token) == first and len(calls) == 2


async def test_a_token_is_never_remembered_past_its_expiry():
    tokens = verifier(leeway=0)
    token = issue_token(DEVELOPMENT_JWT_SECRET, "erp", ["integration"], ttl_seconds=5)
    await tokens.verify(token)
    _, deadline = tokens._verified[token]
    assert deadline - time.monotonic() <= 5


async def test_a_refused_token_is_not_remembered():
    tokens = verifier()
    token = issue_token("another-secret-of-enough-length-0123456789", "erp", ["integration"])
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await tokens.verify(token)
    assert tokens._verified == {}
