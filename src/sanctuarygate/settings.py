"""The one settings object. Read once; nothing else in the project reads ``os.environ``.

Every setting comes from an environment variable with the ``SANCTUARYGATE_`` prefix:

========================================  ==========================================================
``SANCTUARYGATE_DATA_DIR``                where data lives (default: the per-user data directory,
                                          e.g. ``~/.local/share/sanctuarygate``)
``SANCTUARYGATE_DATABASE_URL``            SQLAlchemy URL (default: SQLite file in the data dir)
``SANCTUARYGATE_PACKS_DIR``               policy packs folder (default: the packs shipped inside
                                          the package)
``SANCTUARYGATE_O2021_117_EFFECTIVE``     effective date of Chicago O2021-117, which removed the
                                          2-173-042 carve-outs (unconfirmed; default 2021-01-27,
                                          the day it passed)
``SANCTUARYGATE_KIFTA_EFFECTIVE``         effective date of P.A. 101-0019, the 287(g) ban
                                          (unconfirmed day in June 2019; default 2019-06-21)
``SANCTUARYGATE_DECISION_CACHE_SIZE``     decisions kept in memory for repeated requests (0: none)
``SANCTUARYGATE_LOG_ORIGIN``              the decision log's name: first line of its checkpoints
                                          and the name of its signing key
``SANCTUARYGATE_LOG_POLICY``              a pinned trust policy file for ``log verify``
``SANCTUARYGATE_LOG_COMMIT_WINDOW_MS``    how long a commit of the log waits to gather the decisions
                                          that concurrent requests record (group commit; default 2,
                                          0: no wait)
``SANCTUARYGATE_WITNESSES``               witnesses of the log: ``VKEY URL`` pairs, comma-separated
``SANCTUARYGATE_WITNESS_QUORUM``          how many must cosign (k of n; the published policy says so)
``SANCTUARYGATE_WITNESS_PUBLISH_SECONDS`` how often the web app submits a grown log's checkpoint to
                                          the witnesses, in the background (default 60)
``SANCTUARYGATE_PROFILE``                 the place whose packs bind the gateway's decisions
                                          (a profile id, default ``chicago``)
``SANCTUARYGATE_RECORDS_URL``             the city's police records database, which the gateway
                                          reads and never copies (default: SQLite file
                                          ``records.db`` in the data dir)
``SANCTUARYGATE_GATEWAY_PACKS``           packs the city adopts for its gateway on top of the
                                          profile, comma-separated (default: none; e.g.
                                          ``ocad-proposed-eo-2019`` cuts every DHS agency off
                                          CPD data)
``SANCTUARYGATE_TIMEZONE``                the city's time zone (IANA name, default
                                          ``America/Chicago``): "today" is the city's date, which
                                          decides whether an answer is the law in force (recorded)
                                          or a what-if (never recorded)
``SANCTUARYGATE_REVIEW_RELEASE_HOURS``    how long a reviewer's release on a gateway query's case
                                          holds after the decision (default 72)
``SANCTUARYGATE_SESSION_IDLE_MINUTES``    a staff session unused this long is signed out (default
                                          480; at least 1)
``SANCTUARYGATE_SESSION_HTTPS_ONLY``      true: the sign-in cookie is marked Secure (serve over
                                          https; default false)
``SANCTUARYGATE_OIDC_ISSUER``             staff may also sign in through the city's identity
                                          provider (OpenID Connect): its issuer URL (discovery at
                                          ``<issuer>/.well-known/openid-configuration``; https, or
                                          http on a loopback address). Unset (default): off
``SANCTUARYGATE_OIDC_CLIENT_ID``          this app's client id at the provider (needed with the
                                          issuer)
``SANCTUARYGATE_OIDC_CLIENT_SECRET``      its client secret (or ``..._SECRET_FILE``: a file that
                                          holds it; neither: a public client, PKCE only)
``SANCTUARYGATE_OIDC_CLIENT_SECRET_FILE`` the file holding the client secret
``SANCTUARYGATE_OIDC_ACCOUNT_CLAIM``      the ID token's claim that names the local staff account
                                          (default ``preferred_username``; or ``email``)
``SANCTUARYGATE_OIDC_LABEL``              the sign-in page's button: "Sign in with <label>"
                                          (default "single sign-on")
``SANCTUARYGATE_OIDC_REDIRECT_URL``       the callback address registered at the provider (default:
                                          ``/signin/oidc/callback`` on the address the request used)
``SANCTUARYGATE_REPORT_MIN_CELL``         the smallest count the transparency report publishes as a
                                          number (default 5; at least 3): counts from 1 to one
                                          less are shown as "fewer than N"
``SANCTUARYGATE_DB_POOL_SIZE``            connections each engine keeps open to a database server
                                          (default 6; a worker has two engines: log and records)
``SANCTUARYGATE_DB_POOL_OVERFLOW``        more connections each engine may open in a burst, closed
                                          when returned (default 0): a worker holds at most
                                          2 x (6 + 0) = 12
``SANCTUARYGATE_DB_POOL_TIMEOUT``         seconds a request waits for a free connection before it
                                          fails, closed (default 30)
``SANCTUARYGATE_AUTH_FAILURE_LIMIT``      failed agency-key authentications a client may make in
                                          the window before it is answered 429 (default 10)
``SANCTUARYGATE_AUTH_FAILURE_WINDOW``     that window, in seconds (default 60); counted in memory,
                                          per worker process
``SANCTUARYGATE_REPORT_PHOTO_MAX_BYTES``  the largest photo a misuse report (``/report``) takes
                                          (default 5 MiB; larger: 413, nothing kept)
``SANCTUARYGATE_REPORT_MAX_PHOTOS``       photos per misuse report (default 3)
``SANCTUARYGATE_CASE_DOCUMENT_MAX_BYTES`` the largest copy of a case's document (PDF, JPEG or
                                          PNG) staff may upload (default 10 MiB; larger: 413)
``SANCTUARYGATE_REPORT_LIMIT``            misuse reports a client may send in the window before it
                                          is answered 429 (default 5; in memory, per worker)
``SANCTUARYGATE_REPORT_WINDOW``           that window, in seconds (default 3600)
``SANCTUARYGATE_PUBLIC_URL``              where residents reach the public pages (http or https;
                                          default ``http://127.0.0.1:8000``, the demo): the QR
                                          codes and links printed on property signs point there
========================================  ==========================================================

>>> Settings(data_dir="/tmp/sg").database_url_resolved
'sqlite:////tmp/sg/sanctuarygate.db'
>>> Settings(data_dir="/tmp/sg").records_url_resolved
'sqlite:////tmp/sg/records.db'
>>> Settings(gateway_packs=" ocad-proposed-eo-2019, ").gateway_pack_ids
('ocad-proposed-eo-2019',)
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sanctuarygate.errors import ConfigurationError

PACKAGE_PACKS = Path(__file__).parent / "packs"


class Settings(BaseSettings):
    """All configuration, validated; a bad value names its key."""

    model_config = SettingsConfigDict(env_prefix="SANCTUARYGATE_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("sanctuarygate")))
    database_url: str | None = None
    records_url: str | None = None
    profile: str = "chicago"
    packs_dir: Path = PACKAGE_PACKS
    o2021_117_effective: dt.date = dt.date(2021, 1, 27)
    kifta_effective: dt.date = dt.date(2019, 6, 21)
    gateway_packs: str = ""
    decision_cache_size: int = Field(default=10_000, ge=0)
    #: The largest request body any route reads (the desk form, a decision, a query): 64 KiB.
    max_request_bytes: int = Field(default=65_536, ge=1_024)
    log_origin: str = Field(default="sanctuarygate.example/demo", min_length=1,
                            pattern=r"^[^\s+]+$")
    #: The trust policy an auditor pinned (``log verify`` uses it when no --key/--policy is given).
    log_policy: Path | None = None
    #: Milliseconds a commit of the log waits to gather concurrent requests' decisions (group
    #: commit: one durable flush for many entries); each request still waits for its own commit.
    log_commit_window_ms: float = Field(default=2.0, ge=0, le=1000)
    #: Witnesses the log submits its checkpoints to: ``VKEY URL`` pairs, comma-separated.
    witnesses: str = ""
    #: How many of them the published trust policy requires to have cosigned (k of n).
    witness_quorum: int = Field(default=0, ge=0)
    #: Seconds between the web app's rounds of publishing to the witnesses (background task).
    witness_publish_seconds: float = Field(default=60.0, gt=0)
    #: Transparency reports show a count from 1 to ``report_min_cell - 1`` as "fewer than N":
    #: a handful of requests about one month, agency and action can point to one person (the
    #: one ICE asked about in March). 5 is the usual floor of public-health and justice
    #: statistics; raise it for a small town. At least 3 ("fewer than 2" would say 1).
    report_min_cell: int = Field(default=5, ge=3)
    #: The staff page's what-if replay (``/replay``) replays at most this many days, and at
    #: most this many logged decisions, per request: a longer range is refused with a clear
    #: error (never cut short), so one request cannot hold a worker for minutes (10^5
    #: decisions replay in about 6 s on 2 cores, docs/benchmarks.md). The CLI is not bound.
    replay_max_days: int = Field(default=366, ge=1)
    replay_max_decisions: int = Field(default=100_000, ge=1)
    #: A staff session (the pages' sign-in cookie) unused this long is signed out.
    session_idle_minutes: int = Field(default=480, ge=1)
    #: Mark the sign-in cookie ``Secure``: set it when the pages are served over https.
    session_https_only: bool = False
    #: Staff sign-in through the city's identity provider (OpenID Connect; ``web/signin_oidc.py``),
    #: off unless ``oidc_issuer`` is set. The provider says who the person is; the account it
    #: names (``oidc_account_claim``) and its roles are the city's, in its database.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = Field(default=None, validate_default=True)
    oidc_client_secret: SecretStr | None = None
    oidc_client_secret_file: Path | None = Field(default=None, validate_default=True)
    oidc_account_claim: str = Field(default="preferred_username",
                                    pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
    oidc_label: str = Field(default="single sign-on", min_length=1, max_length=60)
    oidc_redirect_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/\S*$")
    #: An exception (break-glass) that turns the rules' deny into an allow applies only once a
    #: second approver, another person, approves it.
    exception_second_approver: bool = True
    #: A reviewer's release on a gateway case holds this many hours after the decision: the
    #: agency re-runs its query with the case id within that time (``gateway/reviewed.py``).
    review_release_hours: int = Field(default=72, ge=1, le=24 * 90)
    #: The city's time zone: a server in UTC must not call 8 p.m. in Chicago "tomorrow".
    timezone: str = "America/Chicago"
    #: Each engine's connection pool on a database server (PostgreSQL), per worker process:
    #: ``size`` kept open, ``overflow`` more in a burst; ``serve --workers N`` with two engines
    #: each, and the event loop's group commit's two connections, holds at most
    #: ``N * (2 * (size + overflow) + 2)`` connections (see ``store.db.PoolBound``).
    #: The default keeps every connection it opens (no overflow): an overflow connection is
    #: closed when returned and, under load, opened again moments later (a server process each).
    db_pool_size: int = Field(default=5, ge=1)
    db_pool_overflow: int = Field(default=0, ge=0)
    db_pool_timeout: float = Field(default=30.0, gt=0)
    #: A client (address) whose agency-key authentications failed ``auth_failure_limit`` times
    #: within ``auth_failure_window`` seconds is answered 429 until the oldest leaves the window
    #: (``web/throttle.py``: in memory, per worker process).
    auth_failure_limit: int = Field(default=10, ge=1)
    auth_failure_window: int = Field(default=60, ge=1)
    #: The public misuse report form (``/report``): the largest photo, photos per report, and
    #: how many reports one client may send in a window (``web/misuse.py``; in memory, per
    #: worker process, like ``auth_failure_limit``; the client's address is never stored).
    report_photo_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1_024)
    #: The largest copy of the document shown for a case (``store/document_copy.py``).
    case_document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1_024)
    report_max_photos: int = Field(default=3, ge=0, le=10)
    #: Misuse reports' photos and contact details are removed this many days after the report
    #: came in (``sanctuarygate misuse forget``, run daily), unless it is linked to a case; the
    #: rest of the report stays for the counts. A city sets its own records schedule here.
    report_keep_days: int = Field(default=365, ge=1)
    report_limit: int = Field(default=5, ge=1)
    report_window: int = Field(default=3600, ge=1)
    #: The public pages' address as residents reach it: printed signs link there (QR codes).
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/]+(/\S*)?$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone (e.g. America/Chicago): {value!r}") from None
        return value

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The city's date now (or at the instant ``now``): the only "today" a decision is
        recorded for. At 02:30 UTC on December 3 it is still December 2 in Chicago:

        >>> at = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)
        >>> Settings().today(at), Settings(timezone="Europe/Warsaw").today(at)
        (datetime.date(2026, 12, 2), datetime.date(2026, 12, 3))
        """
        return city_today(self.timezone, now)

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer_is_https(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("an issuer URL is https:// (http:// only on a loopback address)")
        if parts.query or parts.fragment or not parts.hostname:
            raise ValueError("an issuer URL has a host and no query nor fragment")
        return value

    @field_validator("oidc_client_id")
    @classmethod
    def _client_id_with_issuer(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("oidc_issuer") and not (value or "").strip():
            raise ValueError("set the client id the identity provider gave this app "
                             "(SANCTUARYGATE_OIDC_ISSUER is set)")
        return value.strip() if value else None

    @field_validator("oidc_client_secret_file")
    @classmethod
    def _one_secret(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None and info.data.get("oidc_client_secret") is not None:
            raise ValueError("give the client secret or a file holding it, not both")
        return value

    @field_validator("database_url", "records_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError(f"not a database URL (expected e.g. sqlite:///path): {value!r}")
        return value

    @property
    def database_url_resolved(self) -> str:
        """The configured URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sanctuarygate.db'}"

    @property
    def records_url_resolved(self) -> str:
        """The city's records database: the configured URL, or a SQLite file in the data dir."""
        if self.records_url:
            return self.records_url
        return f"sqlite:///{self.data_dir / 'records.db'}"

    @property
    def gateway_pack_ids(self) -> tuple[str, ...]:
        """The packs adopted for the gateway, in the order given."""
        return tuple(dict.fromkeys(p.strip() for p in self.gateway_packs.split(",") if p.strip()))

    def pack_dates(self) -> dict[str, dt.date]:
        """Dates that pack manifests may refer to as ``{setting: NAME}``."""
        return {"o2021_117_effective": self.o2021_117_effective,
                "kifta_effective": self.kifta_effective}


def city_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """The date in ``timezone`` now (or at the instant ``now``)."""
    zone = zoneinfo.ZoneInfo(timezone)
    return (now.astimezone(zone) if now else dt.datetime.now(zone)).date()


def load_settings() -> Settings:
    """Read the environment once; a bad value raises ConfigurationError naming the key."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "SANCTUARYGATE_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigurationError(f"{key}: {first['msg']} (got {first.get('input')!r})") from None


def get_settings() -> Settings:
    """The settings of the environment, read now: for a command's start, tests and doctests.

    Nothing keeps them: the web app reads them once, in its factory, and keeps them on
    ``app.state.settings`` (``web/app.py``); a CLI command reads them once and passes them on.
    """
    return load_settings()
