"""Authentication: every token that is missing, stale, early, forged or meant for someone else is 401.

Development verifies HS256 with PMO_JWT_SECRET; production verifies RS256 against the token
issuer's JWKS, served here by a tiny HTTP server on 127.0.0.1 with a key made in the test.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import InsecureConfiguration
from shared.settings import DEVELOPMENT_JWT_SECRET
from shared.testing.fixtures import running_client
from security_helpers import create_app, serve, settings_for

ISSUER = AUDIENCE = "pmo-platform"
URL = "/v1/customers"


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"sub": "ana", "roles": ["pmo_analyst"], "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "nbf": now, "exp": now + 600}
    return {key: value for key, value in (base | overrides).items() if value is not ...}


def hs256(secret: str = DEVELOPMENT_JWT_SECRET, **overrides) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm="HS256")


def unsigned(**overrides) -> str:
    """alg=none: a token anyone can write."""
    return jwt.encode(claims(**overrides), None, algorithm="none")


def new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs256(key, kid: str = "k1", **overrides) -> str:
    return jwt.encode(claims(**overrides), key, algorithm="RS256", headers={"kid": kid})


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == 401


# --- development: HS256 ---------------------------------------------------------------------

BAD_DEVELOPMENT_TOKENS = {
    "expired": lambda: hs256(exp=int(time.time()) - 3600),
    "not yet valid (nbf)": lambda: hs256(nbf=int(time.time()) + 3600),
    "issued in the future (iat)": lambda: hs256(iat=int(time.time()) + 3600),
    "forged (other secret)": lambda: hs256(secret="not-the-secret-" + "x" * 32),
    "wrong issuer": lambda: hs256(iss="someone-else"),
    "wrong audience": lambda: hs256(aud="another-api"),
    "no exp": lambda: hs256(exp=...),
    "no iat": lambda: hs256(iat=...),
    "no sub": lambda: hs256(sub=...),
    "no issuer": lambda: hs256(iss=...),
    "no audience": lambda: hs256(aud=...),
    "alg none": lambda: unsigned(),
    "RS256 where HS256 is expected": lambda: rs256(new_rsa_key()),
    "not a JWT": lambda: "not-a-jwt",
    "tampered payload": lambda: _tampered(),
    "too long": lambda: hs256(pad="x" * 10_000),
    "sub longer than an actor column": lambda: hs256(sub="s" * 201),
    "roles not a list": lambda: hs256(roles="pmo_admin"),
    "customer without customer_id": lambda: hs256(roles=["customer"]),
    "customer_id not an id": lambda: hs256(roles=["customer"], customer_id={"$ne": None}),
}


def _tampered() -> str:
    header, _, signature = hs256().split(".")
    payload = jwt.utils.base64url_encode(json.dumps(claims(roles=["pmo_admin"])).encode()).decode()
    return f"{header}.{payload}.{signature}"


async def test_no_token_is_401_with_a_bearer_challenge(intake):
    assert_unauthorized(await intake.get(URL))
    assert_unauthorized(await intake.get(URL, headers={"Authorization": "Basic YWxpY2U6cHc="}))
    assert_unauthorized(await intake.get(URL, headers={"Authorization": "Bearer"}))


@pytest.mark.parametrize("kind", BAD_DEVELOPMENT_TOKENS)
async def test_a_bad_token_is_401_problem_json(intake, kind):
    token = BAD_DEVELOPMENT_TOKENS[kind]()
    response = await intake.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert_unauthorized(response)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert token not in response.text


async def test_a_good_token_passes_and_small_clock_skew_is_tolerated(intake):
    now = int(time.time())
    for token in (hs256(), hs256(exp=now - 10), hs256(nbf=now + 10, iat=now + 10)):
        response = await intake.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


async def test_skew_beyond_the_configured_leeway_is_refused(tmp_path):
    async with serve("intake", tmp_path, jwt_leeway_seconds=0) as intake:
        token = hs256(exp=int(time.time()) - 10)
        assert_unauthorized(await intake.get(URL, headers={"Authorization": f"Bearer {token}"}))


async def test_unknown_roles_authenticate_but_authorize_nothing(intake):
    token = hs256(roles=["superuser"])
    response = await intake.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


# --- production: RS256 from JWKS ------------------------------------------------------------

class JwksServer:
    """Serves a JWK Set on 127.0.0.1 and counts how often it is fetched."""

    def __init__(self, *keys_and_ids) -> None:
        jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
                          "kid": kid, "use": "sig", "alg": "RS256"} for key, kid in keys_and_ids]}
        body = json.dumps(jwks).encode()
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def __enter__(self) -> "JwksServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def signing_key():
    return new_rsa_key()


@pytest.fixture
def jwks(signing_key):
    with JwksServer((signing_key, "k1")) as server:
        yield server


@contextlib.asynccontextmanager
async def production(tmp_path, jwks_url: str, **overrides):
    async with serve("intake", tmp_path, env="production", jwt_jwks_url=jwks_url, **overrides) as client:
        yield client


async def test_production_accepts_rs256_signed_by_the_issuer_and_caches_its_keys(tmp_path, jwks,
                                                                                   signing_key):
    async with production(tmp_path, jwks.url) as intake:
        for _ in range(5):
            response = await intake.get(URL, headers={"Authorization": f"Bearer {rs256(signing_key)}"})
            assert response.status_code == 200, response.text
    assert len(jwks.hits) == 1


async def test_production_refuses_what_development_accepts_and_every_forgery(tmp_path, jwks,
                                                                            signing_key):
    pem = public_pem(signing_key)
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps(claims()).encode())
    import hashlib
    import hmac
    confused_sig = jwt.utils.base64url_encode(
        hmac.new(pem, header + b"." + payload, hashlib.sha256).digest())
    confused = b".".join([header, payload, confused_sig]).decode()  # HS256 keyed with the public key
    forged = {
        "development HS256 token": hs256(),
        "HS256 keyed with the issuer's public key": confused,
        "alg none with the issuer's kid": jwt.encode(claims(), None, algorithm="none",
                                                     headers={"kid": "k1"}),
        "signed by another key under the same kid": rs256(new_rsa_key()),
        "unknown kid": rs256(signing_key, kid="k2"),
        "no kid": jwt.encode(claims(), signing_key, algorithm="RS256"),
        "expired": rs256(signing_key, exp=int(time.time()) - 3600),
        "wrong audience": rs256(signing_key, aud="another-api"),
        "wrong issuer": rs256(signing_key, iss="https://evil.example"),
    }
    async with production(tmp_path, jwks.url) as intake:
        for kind, token in forged.items():
            response = await intake.get(URL, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, kind
            assert_unauthorized(response)
    assert len(jwks.hits) <= 2  # an unknown kid refetches once, then waits out the cooldown


async def test_an_unreachable_key_source_is_503_not_401(tmp_path, signing_key):
    with JwksServer((signing_key, "k1")) as server:
        url = server.url
    async with production(tmp_path, url) as intake:
        response = await intake.get(URL, headers={"Authorization": f"Bearer {rs256(signing_key)}"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("overrides", [
    {},  # the development secret and no key source
    {"jwt_secret": "a-long-random-production-looking-secret-" + uuid.uuid4().hex},  # HS256 only
    {"jwt_jwks_url": "http://idp.example.com/jwks.json"},  # keys over plain http
], ids=["development secret", "shared secret only", "jwks over http"])
async def test_production_refuses_to_start_without_a_trustworthy_key_source(tmp_path, overrides):
    app = create_app("intake", settings_for("intake", tmp_path, env="production", **overrides))
    with pytest.raises(InsecureConfiguration):
        async with running_client(app):
            pass
    assert not (tmp_path / "intake.db").exists()  # refused before touching the database


@pytest.mark.parametrize("name", ["catalog", "feedback", "prioritizer"])
async def test_every_service_refuses_to_start_on_the_development_secret(tmp_path, name):
    app = create_app(name, settings_for(name, tmp_path, env="production"))
    with pytest.raises(InsecureConfiguration):
        async with running_client(app):
            pass
