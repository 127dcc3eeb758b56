"""Staff sign-in through the city's identity provider (OpenID Connect), when it is configured.

Local accounts stay the default; a city with an identity provider sets
``SANCTUARYGATE_OIDC_ISSUER`` and ``SANCTUARYGATE_OIDC_CLIENT_ID`` (and the client secret, or a
file holding it), and the sign-in page offers "Sign in with <label>" beside the password form.
Unset, ``/signin/oidc`` and its callback answer 404 and the page shows no such button.

The flow is the authorization code flow with PKCE (S256), ``state`` and ``nonce``, run by
authlib's Starlette client, which keeps them in the session cookie (``web/session.py``) between
the two requests. The provider's metadata comes from its discovery document; its ``issuer`` must
be the one configured. The ID token is verified: its signature against the provider's JWKS (an
asymmetric algorithm the provider lists; never ``none`` nor a shared secret), ``iss`` the
issuer, ``aud`` this client's id, ``exp`` and ``iat`` (60 s of clock leeway), ``nonce`` the one
sent. A token without a usable ID token, a wrong ``state`` or any failed check is refused.

The provider only says who the person is: the claim ``SANCTUARYGATE_OIDC_ACCOUNT_CLAIM``
(``preferred_username``, or ``email``, which must not be marked unverified) names a local staff
account, and the roles are that account's (``store.staff.identified_member``). No account of
that name, or a disabled one: 401 on the sign-in page, no session, and a line in the log naming
the reason and the name asked for (never a token). A good sign-in starts the same fresh session
as a password does and goes back to ``next`` (a path on this site only).

>>> from sanctuarygate.settings import Settings
>>> OidcConfig.of(Settings()) is None
True
>>> OidcConfig.of(Settings(oidc_issuer="https://id.city.example/", oidc_client_id="sg")).discovery
'https://id.city.example/.well-known/openid-configuration'
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from joserfc.errors import JoseError
from starlette.responses import RedirectResponse, Response

from sanctuarygate.domain.advice import N_, Text
from sanctuarygate.errors import AuthenticationError, ConfigurationError
from sanctuarygate.settings import Settings
from sanctuarygate.store.staff import identified_member
from sanctuarygate.web import session
from sanctuarygate.web.log_api import get_log
from sanctuarygate.web.signin import FAILURES, page, safe_next

with warnings.catch_warnings():
    # authlib 1.9 asks for the httpx2 package and warns when it falls back to httpx, which this
    # project uses: the warning is about its packaging, not about the flow. Its module of
    # warnings first (on import it puts an "always" filter in front), then the filter.
    import authlib.deprecate  # noqa: F401
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.starlette_client import OAuth, OAuthError

log = logging.getLogger("sanctuarygate.web")
router = APIRouter(include_in_schema=False)

#: ID token signature algorithms taken: asymmetric ones, verified with the provider's JWKS.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA")
LEEWAY = 60
NEXT_KEY = "oidc_next"

NOT_VERIFIED = N_("The sign-in with {label} could not be completed or verified, so you are not "
                  "signed in. Try again, or sign in with your password.")
UNREACHABLE = N_("{label} did not answer, so you are not signed in. Try again later, or sign in "
                 "with your password.")
NO_CLAIM = N_("{label} did not say which staff account you use, so you are not signed in. Ask "
              "an administrator.")
NO_ACCOUNT = N_("{label} signed you in as {name}, but there is no staff account of that name "
                "here. Ask an administrator to add one.")


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The identity provider's part of the settings (None from :meth:`of` when it is off)."""

    issuer: str
    client_id: str
    client_secret: str | None = field(repr=False)
    claim: str = "preferred_username"
    label: str = "single sign-on"
    redirect_url: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> OidcConfig | None:
        """The provider the settings name, its secret read from its file if given that way."""
        if not settings.oidc_issuer or not settings.oidc_client_id:
            return None
        secret = (settings.oidc_client_secret.get_secret_value()
                  if settings.oidc_client_secret is not None else None)
        path = settings.oidc_client_secret_file
        if path is not None:
            try:
                secret = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigurationError(f"SANCTUARYGATE_OIDC_CLIENT_SECRET_FILE: cannot read "
                                         f"{path}: {exc.__class__.__name__}") from None
            if not secret:
                raise ConfigurationError(f"SANCTUARYGATE_OIDC_CLIENT_SECRET_FILE: {path} is empty")
        return cls(settings.oidc_issuer, settings.oidc_client_id, secret or None,
                   settings.oidc_account_claim, settings.oidc_label, settings.oidc_redirect_url)

    @property
    def discovery(self) -> str:
        """Where the provider's metadata is (OpenID Connect Discovery 1.0, section 4)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class OidcSignIn:
    """The configured provider: an authlib client over its discovery document."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.client: Any = OAuth().register(
            "city", client_id=config.client_id, client_secret=config.client_secret,
            server_metadata_url=config.discovery,
            client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                           "timeout": 10.0,
                           "token_endpoint_auth_method": ("client_secret_basic"
                                                          if config.client_secret else "none")})

    async def metadata(self) -> dict[str, Any]:
        """The provider's metadata (fetched once), checked: the issuer it names is the one
        configured, and only asymmetric ID token algorithms are taken."""
        found: dict[str, Any] = await self.client.load_server_metadata()
        if not found.get("_checked"):
            if str(found.get("issuer", "")).rstrip("/") != self.config.issuer.rstrip("/"):
                found.pop("_loaded_at", None)  # fetched again next time
                raise ConfigurationError(f"SANCTUARYGATE_OIDC_ISSUER: the discovery document "
                                         f"names issuer {found.get('issuer')!r}, not "
                                         f"{self.config.issuer!r}")
            listed = found.get("id_token_signing_alg_values_supported") or ["RS256"]
            found["id_token_signing_alg_values_supported"] = [a for a in listed
                                                              if a in ALGORITHMS] or ["RS256"]
            found["_checked"] = True
        return found

    def claims_options(self, issuer: str) -> dict[str, Any]:
        """What the ID token must say besides the nonce: this issuer, for this client."""
        return {"iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": self.config.client_id}}


def install(app: FastAPI) -> None:
    """The provider of ``app``'s settings on ``app.state.oidc`` (None: off), and the routes
    (which answer 404 while it is off)."""
    config = OidcConfig.of(app.state.settings)
    app.state.oidc = OidcSignIn(config) if config is not None else None
    app.include_router(router)


def configured(request: Request) -> OidcSignIn | None:
    """The app's identity provider, or None."""
    found: OidcSignIn | None = getattr(request.app.state, "oidc", None)
    return found


def _provider(request: Request) -> OidcSignIn:
    found = configured(request)
    if found is None:
        raise HTTPException(404, "Not Found")
    return found


@router.get("/signin/oidc", name="oidc_signin")
async def oidc_signin(request: Request, next: str = "/") -> Response:
    """Off to the identity provider (a new state, nonce and PKCE verifier in the session)."""
    oidc = _provider(request)
    redirect_uri = oidc.config.redirect_url or str(request.url_for("oidc_callback"))
    try:
        await oidc.metadata()
        answer: Response = await oidc.client.authorize_redirect(request, redirect_uri)
    except (httpx.HTTPError, ValueError, RuntimeError, ConfigurationError) as exc:
        log.warning("OIDC sign-in: the identity provider's metadata is unusable: %s", exc)
        return await _refused(request, UNREACHABLE, 502, next_=next)
    session.session_of(request)[NEXT_KEY] = safe_next(next)
    return answer


@router.get("/signin/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    """Back from the provider: the code exchanged, the ID token verified, the local account
    found; then the same fresh session as a password sign-in."""
    oidc = _provider(request)
    next_ = str(session.session_of(request).pop(NEXT_KEY, "/"))
    try:
        metadata = await oidc.metadata()
        token = await oidc.client.authorize_access_token(
            request, claims_options=oidc.claims_options(str(metadata["issuer"])), leeway=LEEWAY)
    except (httpx.HTTPError, ConfigurationError) as exc:
        log.warning("OIDC sign-in: the identity provider did not answer: %s", type(exc).__name__)
        return await _refused(request, UNREACHABLE, 502, next_=next_)
    except (OAuthError, JoseError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        log.info("OIDC sign-in refused: not verified (%s)", type(exc).__name__)
        return await _refused(request, NOT_VERIFIED, 401, next_=next_)
    claims = token.get("userinfo")
    if not claims:  # no ID token: nothing says who this is
        log.info("OIDC sign-in refused: the token answer held no ID token")
        return await _refused(request, NOT_VERIFIED, 401, next_=next_)
    name = claims.get(oidc.config.claim)
    unverified = oidc.config.claim == "email" and claims.get("email_verified") is False
    if not isinstance(name, str) or not name.strip() or unverified:
        log.info("OIDC sign-in refused: no usable %r claim", oidc.config.claim)
        return await _refused(request, NO_CLAIM, 401, next_=next_)
    try:
        member = await run_in_threadpool(_member, request, name)
    except AuthenticationError as exc:
        log.info("OIDC sign-in refused (%s) for account %r", exc.reason, name[:254])
        words = FAILURES["disabled"] if exc.reason == "disabled" else NO_ACCOUNT
        return await _refused(request, words, 401, next_=next_, name=name[:254])
    session.start_session(request, member.id, member.name)
    return RedirectResponse(safe_next(next_), status_code=303)


def _member(request: Request, name: str) -> Any:
    with get_log(request).engine.connect() as conn:
        return identified_member(conn, name)


async def _refused(request: Request, words: str, status: int, *, next_: str,
                   name: str = "") -> Response:
    """The sign-in page, saying why (no session was started)."""
    label = _provider(request).config.label
    text = Text(words, label=label, name=name)
    return await run_in_threadpool(page, request, status=status, error=text, next_=next_)
