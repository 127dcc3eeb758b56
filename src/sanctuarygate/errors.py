"""The project's exceptions, one tree with one base.

Every class that derives from :class:`SanctuaryGateError`, wherever it is defined, is drawn
here under its nearest such base (``tests/test_errors.py`` fails when one is missing or
misplaced). The CLI exit code of each branch is in ``cli/main.py``.

    SanctuaryGateError
    ├── InputError                  bad input from a caller (request file, form, JSON body)
    │   ├── FieldErrors             several fields of one request are wrong, listed together
    │   ├── UnknownAgencyError      an agency id the directory does not know
    │   ├── UnknownDatasetError     a dataset id the catalog does not know
    │   │   └── DatasetNotServedError   a dataset the place's gateway does not serve
    │   ├── UnknownProfileError     a profile (place) that is not defined
    │   ├── UnknownAgencyKeyError   an agency key id that was never issued (revoke, CLI)
    │   ├── AgencyKeyRevokedError   revoking an agency key that is already revoked
    │   ├── LogRangeError           an index, size or range outside the log (store.log)
    │   ├── UnknownCaseError        a case id that names no case (domain.case)
    │   │   └── UnknownGatewayCaseError a re-run's case id that is no case of this agency
    │   │                               (gateway.reviewed)
    │   ├── TrustPolicyError        a malformed trust policy or pinned key file (audit.trust)
    │   ├── SignRefused             no sign may be printed for a property (report.sign)
    │   ├── PhotoTooLargeError      a misuse report's photo over the size limit (web.misuse_photo)
    │   └── CopyTooLargeError       a case document's copy over the size limit
    │                               (store.document_copy)
    ├── AuthenticationError         no usable agency API key; ``reason`` says why (missing,
    │   │                           malformed, unknown, revoked, wrong-agency)
    │   ├── AmbiguousKeyError       more than one key header of a kind (``ambiguous``): which?
    │   └── TooManyFailuresError    a client over its failed-authentication limit (``throttled``)
    ├── NotAllowed                  ``ensure()``: the rules do not allow it; carries the decision
    ├── ReviewRefusedError          a review that may not be made: the case is not waiting, or
    │                               it would turn the rules' deny into an allow (domain.case)
    ├── QueryRefusedError           the rules do not allow a gateway query (gateway.plan)
    │   └── ReviewReleaseRefusedError   a re-run the reviewer's release does not cover
    │                                   (gateway.reviewed)
    ├── PolicyLoadError             a pack, profile, schema or directory file is malformed
    ├── PolicyEvaluationError       the engine could not evaluate a request (never an allow)
    ├── ConfigurationError          a setting is missing or has a bad value
    ├── LogIntegrityError           the stored log is inconsistent (store.log)
    ├── BundleError                 a log export does not verify (audit.bundle)
    ├── KeyFormatError              a signer or verifier key string is malformed (audit.keys)
    ├── WitnessError                a witness did not cosign a checkpoint (witness.protocol)
    │   ├── UnknownOriginError      not a log this witness witnesses
    │   ├── SizeConflictError       the old size is not that of the witness's latest cosigned one
    │   ├── InconsistentCheckpointError a checkpoint that does not extend what was cosigned
    │   ├── WitnessRefusedError     client side: the witness answered with an error status
    │   └── WitnessUnavailableError client side: the witness cannot be reached or is no witness
    └── NoteError                   a signed note was not accepted (audit.note)
        ├── MalformedNoteError      not a well-formed signed note
        │   └── MalformedCheckpointError    a note whose text is not a checkpoint
        ├── UnknownKeyError         no signature by a known key
        ├── InvalidSignatureError   a known key's signature does not verify
        ├── TooFewCosignaturesError fewer witness cosignatures than the trust policy asks (audit.cosignature)
        └── CheckpointMismatchError a checkpoint of another log (audit.checkpoint)

Subclasses carry data, never HTTP status codes: the web layer maps classes to statuses in one
table (``web/problem.py``) and the CLI maps them to exit codes (``cli/main.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanctuarygate.domain.decision import Decision


class SanctuaryGateError(Exception):
    """Base of every error this project raises on purpose.

    >>> isinstance(InputError("x"), SanctuaryGateError)
    True
    """

    title = "sanctuarygate error"


class InputError(SanctuaryGateError, ValueError):
    """The caller's input is not a valid request; nothing was decided."""

    title = "Invalid request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message

    @property
    def field_errors(self) -> tuple[tuple[str | None, str], ...]:
        """Every problem as ``(field, message)``: one here, several in :class:`FieldErrors`.
        The message is the one given (a page may translate it), unless a subclass rewrote it.

        >>> InputError("is required", field="date").field_errors
        (('date', 'is required'),)
        """
        text = str(self)
        prefix = f"{self.field}: " if self.field else ""
        if text == prefix + self.message:
            return ((self.field, self.message),)
        return ((self.field, text.removeprefix(prefix)),)


class FieldErrors(InputError):
    """Several problems with one request, all found in one reading: each names its field.

    ``field`` is the first one's; catching :class:`InputError` still catches this.

    >>> e = FieldErrors([InputError("is required", field="date"),
    ...                  InputError("is required", field="action")])
    >>> str(e), e.field
    ('2 problems: date: is required; action: is required', 'date')
    >>> [f for f, _ in e.field_errors]
    ['date', 'action']
    """

    def __init__(self, errors: Sequence[InputError]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} problems: " + "; ".join(map(str, self.errors)))
        self.field = self.errors[0].field if self.errors else None

    @property
    def field_errors(self) -> tuple[tuple[str | None, str], ...]:
        return tuple(pair for e in self.errors for pair in e.field_errors)


class UnknownAgencyError(InputError):
    """An agency id that the directory does not list. Never defaulted to anything."""

    title = "Unknown agency"

    def __init__(self, agency_id: str, *, field: str | None = None) -> None:
        super().__init__(f"unknown agency id {agency_id!r}", field=field)
        self.agency_id = agency_id


class UnknownDatasetError(InputError):
    """A dataset id that the catalog does not list."""

    title = "Unknown dataset"

    def __init__(self, dataset_id: str, *, field: str | None = None) -> None:
        super().__init__(f"unknown dataset id {dataset_id!r}", field=field)
        self.dataset_id = dataset_id


class DatasetNotServedError(UnknownDatasetError):
    """A dataset the catalog lists, kept by an agency outside the gateway's place."""

    title = "Dataset not served here"

    def __init__(self, dataset_id: str, keeper: str, profile: str, served: tuple[str, ...]) -> None:
        super().__init__(dataset_id, field="dataset")
        self.args = (f"{dataset_id} is kept by {keeper}; this gateway ({profile}) serves only "
                     f"{', '.join(served) or 'no dataset'}",)


class UnknownProfileError(InputError):
    """A profile (a place whose packs bind it) that is not defined."""

    title = "Unknown profile"

    def __init__(self, profile_id: str, *, known: tuple[str, ...] = ()) -> None:
        hint = f" (known: {', '.join(known)})" if known else ""
        super().__init__(f"unknown profile {profile_id!r}{hint}", field="profile")
        self.profile_id = profile_id


class UnknownAgencyKeyError(InputError):
    """An agency key id that was never issued."""

    title = "Unknown agency key"

    def __init__(self, key_id: str, *, field: str | None = None) -> None:
        super().__init__(f"no agency key with id {key_id!r}", field=field)
        self.key_id = key_id


class AgencyKeyRevokedError(InputError):
    """An agency key that is already revoked cannot be revoked again."""

    title = "Agency key already revoked"

    def __init__(self, key_id: str, *, revoked_at: str | None = None) -> None:
        when = f" on {revoked_at}" if revoked_at else ""
        super().__init__(f"agency key {key_id!r} was already revoked{when}", field="key_id")
        self.key_id = key_id


class AuthenticationError(SanctuaryGateError):
    """The caller did not prove which agency it is: no key, a malformed, unknown or revoked
    key, or a key of another agency than the one the request names. Never an allow.

    ``reason`` is one of :data:`AUTHENTICATION_REASONS`; the message never holds the key.

    >>> AuthenticationError("no API key", reason="missing").reason
    'missing'
    """

    title = "Not authenticated"

    def __init__(self, message: str, *, reason: str = "unknown") -> None:
        if reason not in AUTHENTICATION_REASONS:
            raise ValueError(f"unknown authentication failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason


#: Why an authentication failed: no key at all, not in the key format, not a key issued here
#: (or a wrong secret), a revoked key, a key of another agency than the one claimed; for staff,
#: an account locked after failed sign-ins or disabled.
#: ``role``: a staff account that authenticated but whose role may not write what it asked to
#: (answered 403; recorded with the other refused attempts at the public log).
AUTHENTICATION_REASONS = frozenset({"missing", "malformed", "unknown", "revoked", "wrong-agency",
                                    "locked", "disabled", "ambiguous", "throttled", "role"})


class AmbiguousKeyError(AuthenticationError):
    """Two ``Authorization`` (or ``X-API-Key``) headers: the request is refused, never read as
    "the first one wins" (a proxy and a client could each add one)."""

    title = "Ambiguous credentials"

    def __init__(self, header: str) -> None:
        super().__init__(f"more than one {header} header: send exactly one key",
                         reason="ambiguous")
        self.header = header


class TooManyFailuresError(AuthenticationError):
    """A client whose authentications failed too often lately: nothing is looked at until
    ``retry_after`` seconds have passed.

    >>> TooManyFailuresError(limit=10, window=60, retry_after=12).retry_after
    12
    """

    title = "Too many failed authentications"

    def __init__(self, *, limit: int, window: int, retry_after: int) -> None:
        super().__init__(f"{limit} failed authentications from this client within {window} "
                         f"seconds; retry in {retry_after} seconds", reason="throttled")
        self.retry_after = retry_after


class NotAllowed(SanctuaryGateError):
    """The rules do not allow the request: the decision is a deny or a review (a person must
    decide). Raised by :meth:`Decider.ensure`, the raising twin of ``decide``; carries the
    decision, so a caller can show its reasons and citations.

    >>> from sanctuarygate.domain.decision import Decision
    >>> err = NotAllowed(Decision("review", explanation="A person must decide."))
    >>> err.decision.outcome, str(err)
    ('review', 'not allowed (review): A person must decide.')
    """

    title = "Not allowed"

    def __init__(self, decision: Decision) -> None:
        said = f": {decision.explanation}" if decision.explanation else ""
        super().__init__(f"not allowed ({decision.outcome}){said}")
        self.decision = decision


class PolicyLoadError(SanctuaryGateError):
    """A policy pack, profile, schema or data file failed to load or validate."""

    title = "Policy data could not be loaded"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class PolicyEvaluationError(SanctuaryGateError):
    """The policy engine could not evaluate a request. Fail closed: this is never an allow."""

    title = "The policy engine could not decide"

    def __init__(self, message: str, *, errors: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.errors = errors


class ConfigurationError(SanctuaryGateError):
    """A setting is missing or has a bad value; the message names the key and the value."""

    title = "Configuration error"
