"""Staff sign-in through an identity provider (OpenID Connect), against a real one on a port.

The provider is a small Starlette app served by uvicorn on 127.0.0.1 (``serving``): discovery,
JWKS (an RSA key made here), an authorization endpoint that sends the browser back with a code,
and a token endpoint that checks the client's secret and its PKCE verifier and issues an ID
token signed here by hand (``cryptography``, not the library under test). Each test can make the
provider lie in one way: another nonce, another audience, an expired token, another key's
signature, a name no account has.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sanctuarygate.audit.default import default_log
from sanctuarygate.audit.log import DecisionLog
from sanctuarygate.domain.staff import StaffMember
from sanctuarygate.policy.decide import Decider
from sanctuarygate.settings import Settings
from sanctuarygate.store.db import upgrade
from sanctuarygate.store.staff import add_staff, disable_staff
from sanctuarygate.web.app import create_app

from .conftest import TestClient, serving
from .staff import csrf

CLIENT_ID = "sanctuarygate-test"
CLIENT_SECRET = "a client secret the provider and the city share"
CALLBACK = "http://testserver/signin/oidc/callback"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = "k1") -> str:
    """A JWS (RS256) of ``claims``, made the long way."""
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(signature)}"


def jwk(key: rsa.RSAPrivateKey, kid: str = "k1") -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64(numbers.e.to_bytes(3, "big"))}


class Provider:
    """The fake identity provider: who signs in next, and how the next ID token is bent."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = ""  # its URL, once served
        self.person: dict[str, Any] = {}
        self.bend: Callable[[dict[str, Any]], dict[str, Any]] = lambda claims: claims
        self.signer = self.key
        self.codes: dict[str, dict[str, str]] = {}
        self.asked: dict[str, str] = {}  # the last authorization request's parameters
        self.issued: list[str] = []  # every ID token issued

    def app(self) -> Starlette:
        async def discovery(request: Request) -> Response:
            return JSONResponse({
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]})

        async def jwks(request: Request) -> Response:
            return JSONResponse({"keys": [jwk(self.key)]})

        async def authorize(request: Request) -> Response:
            asked = dict(request.query_params)
            self.asked = asked
            if asked.get("client_id") != CLIENT_ID or asked.get("response_type") != "code":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = asked
            back = {"code": code, "state": asked.get("state", "")}
            return RedirectResponse(f"{asked['redirect_uri']}?{urlencode(back)}", 302)

        async def token(request: Request) -> Response:
            form = await request.form()
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            asked = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier", ""))
            if (asked is None or form.get("redirect_uri") != asked["redirect_uri"]
                    or b64(hashlib.sha256(verifier.encode()).digest())
                    != asked.get("code_challenge")):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = self.bend({"iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID,
                                "iat": now, "exp": now + 300, "nonce": asked.get("nonce"),
                                **self.person})
            id_token = sign(self.signer, claims)
            self.issued.append(id_token)
            return JSONResponse({"access_token": secrets.token_urlsafe(16),
                                 "token_type": "Bearer", "expires_in": 300,
                                 "id_token": id_token})

        return Starlette(routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks), Route("/authorize", authorize),
            Route("/token", token, methods=["POST"])])


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    found = Provider()
    with serving(found.app()) as url:  # type: ignore[arg-type]  # a Starlette app serves too
        found.issuer = url
        yield found


@pytest.fixture(autouse=True)
def fresh(provider: Provider) -> None:
    """Each test starts with an honest provider."""
    provider.person, provider.signer = {}, provider.key
    provider.bend = lambda claims: claims


def oidc_settings(provider: Provider, **more: Any) -> Settings:
    return Settings(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                    oidc_client_secret=CLIENT_SECRET, oidc_label="City ID", **more)


class Site:
    """The app with the provider configured, over a log's database."""

    def __init__(self, app: FastAPI, log: DecisionLog, provider: Provider) -> None:
        self.app, self.log, self.provider = app, log, provider

    def member(self, *roles: str, no_password: bool = False) -> StaffMember:
        with self.log.engine.begin() as conn:
            member, _ = add_staff(conn, f"o-{secrets.token_hex(4)}", roles,
                                  password=None if no_password else "a long enough password",
                                  no_password=no_password)
        return member

    def sign_in(self, client: TestClient, name: str, *, next_: str = "/") -> httpx.Response:
        """Through the provider as ``name``: the app's redirect, the provider's answer, the
        callback; the callback's answer."""
        self.provider.person = {**self.provider.person, "preferred_username": name}
        away = client.get("/signin/oidc", params={"next": next_}, follow_redirects=False)
        assert away.status_code == 302, away.text
        assert away.headers["location"].startswith(f"{self.provider.issuer}/authorize?")
        back = httpx.get(away.headers["location"], follow_redirects=False)
        assert back.status_code == 302, back.text
        return client.get(back.headers["location"], follow_redirects=False)


@pytest.fixture(scope="module")
def site(provider: Provider, decider: Decider) -> Site:
    log = default_log()
    return Site(create_app(oidc_settings(provider), decider=decider, log=log), log, provider)


def signed_in(client: TestClient) -> bool:
    return "Signed in as" in client.get("/").text


def refused(answer: httpx.Response, client: TestClient, words: str) -> None:
    assert answer.status_code == 401, answer.text
    assert words in answer.text and 'id="signin-error"' in answer.text
    assert not signed_in(client)


# --- A good sign-in ---------------------------------------------------------------------------
def test_a_good_sign_in_is_a_session_with_the_local_accounts_roles(site: Site) -> None:
    reviewer, desk = site.member("reviewer"), site.member("desk", no_password=True)
    client = TestClient(site.app)
    before = csrf(client, "/signin")
    answer = site.sign_in(client, reviewer.name.upper(), next_="/cases")
    assert answer.status_code == 303 and answer.headers["location"] == "/cases"
    asked = site.provider.asked  # the authorization request: code flow, PKCE, state, nonce
    assert asked["response_type"] == "code" and asked["code_challenge_method"] == "S256"
    assert asked["state"] and asked["nonce"] and "openid" in asked["scope"].split()
    assert asked["redirect_uri"] == CALLBACK
    assert f"Signed in as {reviewer.name}" in client.get("/").text
    assert csrf(client) != before  # a fresh session: nothing carried over
    assert client.get("/cases").status_code == 200  # a reviewer reads cases
    # Roles are the city's: a desk account is a desk officer, whatever the provider claims.
    other = TestClient(site.app)
    site.provider.person = {"roles": ["reviewer", "admin"], "groups": ["reviewer"]}
    assert site.sign_in(other, desk.name).status_code == 303
    assert f"Signed in as {desk.name}" in other.get("/").text
    assert other.get("/cases").status_code == 403


def test_next_stays_on_this_site(site: Site) -> None:
    member = site.member("desk")
    answer = site.sign_in(TestClient(site.app), member.name, next_="https://evil.example/")
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_the_email_claim_names_an_account_by_its_address(provider: Provider, decider: Decider,
                                                         ) -> None:
    log = default_log()
    app = create_app(oidc_settings(provider, oidc_account_claim="email"), decider=decider,
                     log=log)
    site = Site(app, log, provider)
    address = f"{secrets.token_hex(4)}@city.example"
    with log.engine.begin() as conn:
        add_staff(conn, address, ["auditor"], no_password=True)
    provider.person = {"email": address.upper(), "email_verified": True}
    client = TestClient(app)
    assert site.sign_in(client, "someone-else").status_code == 303
    assert f"Signed in as {address}" in client.get("/").text
    provider.person = {"email": address, "email_verified": False}  # the provider won't vouch
    unverified = TestClient(app)
    refused(site.sign_in(unverified, address), unverified, "did not say which staff account")


# --- Tokens that must not verify ----------------------------------------------------------------
BENT: dict[str, Callable[[Provider], None]] = {
    "another nonce": lambda p: setattr(p, "bend", lambda c: {**c, "nonce": "not-the-nonce"}),
    "no nonce": lambda p: setattr(p, "bend", lambda c: {k: v for k, v in c.items()
                                                        if k != "nonce"}),
    "another audience": lambda p: setattr(p, "bend", lambda c: {**c, "aud": "another-app",
                                                                "azp": CLIENT_ID}),
    "another issuer": lambda p: setattr(p, "bend", lambda c: {**c, "iss": "https://evil.example"}),
    "expired": lambda p: setattr(p, "bend", lambda c: {**c, "iat": c["iat"] - 7200,
                                                       "exp": c["iat"] - 3600}),
    "another key's signature": lambda p: setattr(
        p, "signer", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
}


@pytest.mark.parametrize("bend", list(BENT))
def test_an_id_token_that_does_not_verify_starts_no_session(
        site: Site, bend: str, caplog: pytest.LogCaptureFixture) -> None:
    member = site.member("reviewer")
    BENT[bend](site.provider)
    client = TestClient(site.app)
    with caplog.at_level(logging.INFO, logger="sanctuarygate.web"):
        answer = site.sign_in(client, member.name)
    refused(answer, client, "could not be completed or verified")
    assert "Sign in with City ID" in answer.text  # the page, to try again
    assert "OIDC sign-in refused: not verified" in caplog.text
    assert site.provider.issued[-1] not in caplog.text
    assert client.get("/cases").status_code == 401


def test_a_state_that_is_not_this_sessions_is_refused(site: Site) -> None:
    member = site.member("reviewer")
    victim, attacker = TestClient(site.app), TestClient(site.app)
    site.provider.person = {"preferred_username": member.name}
    away = attacker.get("/signin/oidc", follow_redirects=False)
    back = httpx.get(away.headers["location"], follow_redirects=False).headers["location"]
    # The attacker's code and state, in the victim's browser (login CSRF): not its flow.
    victim.get("/signin/oidc", follow_redirects=False)
    refused(victim.get(back, follow_redirects=False), victim, "could not be completed")
    # A changed state in the right browser is refused too, and the code is not exchanged.
    query = parse_qs(urlsplit(back).query)
    forged = f"/signin/oidc/callback?{urlencode({'code': query['code'][0], 'state': 'forged'})}"
    refused(attacker.get(forged, follow_redirects=False), attacker, "could not be completed")
    assert query["code"][0] in site.provider.codes  # never sent to the token endpoint
    # No state at all.
    refused(attacker.get("/signin/oidc/callback?code=x", follow_redirects=False), attacker,
            "could not be completed")


def test_the_provider_saying_no_is_refused(site: Site) -> None:
    client = TestClient(site.app)
    client.get("/signin/oidc", follow_redirects=False)
    answer = client.get("/signin/oidc/callback?error=access_denied&state=x",
                        follow_redirects=False)
    refused(answer, client, "could not be completed")


# --- Accounts the city does not let in ----------------------------------------------------------
def test_an_unknown_or_disabled_account_is_refused_and_logged(
        site: Site, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(site.app)
    with caplog.at_level(logging.INFO, logger="sanctuarygate.web"):
        refused(site.sign_in(client, "nobody-here"), client,
                "City ID signed you in as nobody-here, but there is no staff account")
    assert "OIDC sign-in refused (unknown) for account 'nobody-here'" in caplog.text
    member = site.member("reviewer")
    with site.log.engine.begin() as conn:
        disable_staff(conn, member.name)
    other = TestClient(site.app)
    with caplog.at_level(logging.INFO, logger="sanctuarygate.web"):
        refused(site.sign_in(other, member.name), other, "This account is disabled.")
    assert f"OIDC sign-in refused (disabled) for account '{member.name}'" in caplog.text
    assert not any(token in caplog.text for token in site.provider.issued)
    # A name that cannot be a sign-in name, and no name at all.
    for person in ({"preferred_username": "<script>"}, {"preferred_username": ""}):
        site.provider.person = person
        again = TestClient(site.app)
        answer = again.get(httpx.get(again.get("/signin/oidc", follow_redirects=False)
                                     .headers["location"], follow_redirects=False)
                           .headers["location"], follow_redirects=False)
        assert answer.status_code == 401 and "<script>" not in answer.text
        assert not signed_in(again)


def test_on_postgresql_and_sqlite(provider: Provider, decider: Decider, db_engine: Engine,
                                  tmp_path: Path) -> None:
    """The account is read from the app's own database (either kind)."""
    upgrade(db_engine)
    log = DecisionLog(db_engine, origin="city.example/log", data_dir=tmp_path / "data")
    site = Site(create_app(oidc_settings(provider), decider=decider, log=log), log, provider)
    member = site.member("reviewer", no_password=True)
    client = TestClient(site.app)
    assert site.sign_in(client, member.name, next_="/cases").status_code == 303
    assert client.get("/cases").status_code == 200
    with log.engine.begin() as conn:
        disable_staff(conn, member.name)
    assert not signed_in(client)  # a disabled account's session ends at its next page
    other = TestClient(site.app)
    refused(site.sign_in(other, member.name), other, "This account is disabled.")
    nobody = TestClient(site.app)
    refused(site.sign_in(nobody, "nobody-here"), nobody, "no staff account of that name")


# --- Off --------------------------------------------------------------------------------------
def test_off_the_routes_are_404_and_the_page_has_no_button(decider: Decider) -> None:
    client = TestClient(create_app(Settings(), decider=decider, log=default_log()))
    assert client.get("/signin/oidc", follow_redirects=False).status_code == 404
    assert client.get("/signin/oidc/callback?code=x&state=y").status_code == 404
    page = client.get("/signin")
    assert page.status_code == 200 and "signin-oidc" not in page.text
    assert "Sign in with" not in page.text


def test_on_the_page_shows_the_button_in_english_and_spanish(site: Site) -> None:
    client = TestClient(site.app)
    page = client.get("/signin?next=/cases").text
    assert 'href="/signin/oidc?next=%2Fcases"' in page and "Sign in with City ID" in page
    spanish = client.get("/signin", headers={"accept-language": "es"}).text
    assert "Iniciar sesión con City ID" in spanish


def test_a_provider_that_does_not_answer_is_502_and_no_session(decider: Decider) -> None:
    dead = Settings(oidc_issuer="http://127.0.0.1:9", oidc_client_id=CLIENT_ID)  # discard port
    client = TestClient(create_app(dead, decider=decider, log=default_log()))
    answer = client.get("/signin/oidc", follow_redirects=False)
    assert answer.status_code == 502
    assert "single sign-on did not answer" in answer.text and not signed_in(client)


def test_a_discovery_document_naming_another_issuer_is_refused(
        provider: Provider, decider: Decider) -> None:
    other = Settings(oidc_issuer=provider.issuer + "/", oidc_client_id=CLIENT_ID)
    ok = TestClient(create_app(other, decider=decider, log=default_log()))
    assert ok.get("/signin/oidc", follow_redirects=False).status_code == 302  # a slash apart
    wrong = Settings(oidc_issuer=provider.issuer.replace("127.0.0.1", "localhost"),
                     oidc_client_id=CLIENT_ID)
    client = TestClient(create_app(wrong, decider=decider, log=default_log()))
    assert client.get("/signin/oidc", follow_redirects=False).status_code == 502


def test_the_secret_may_come_from_a_file(provider: Provider, decider: Decider,
                                         tmp_path: Path) -> None:
    from sanctuarygate.errors import ConfigurationError
    from sanctuarygate.web.signin_oidc import OidcConfig

    secret = tmp_path / "oidc-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    config = OidcConfig.of(Settings(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                                    oidc_client_secret_file=secret))
    assert config is not None and config.client_secret == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(config)
    secret.write_text("\n")
    with pytest.raises(ConfigurationError, match="OIDC_CLIENT_SECRET_FILE"):
        OidcConfig.of(Settings(oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                               oidc_client_secret_file=secret))
