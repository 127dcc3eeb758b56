"""SQLAlchemy table definitions. Changes go through an Alembic migration as well.

``desk_answer`` keeps the answers a desk has recorded: what was asked (agency, action, resource
class, purpose, document kind), the outcome and the deciding rules. It holds no person
identifiers and never an immigration status.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

desk_answer = Table(
    "desk_answer",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("request_date", Date, nullable=False),
    Column("principal", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("document_kind", String(64), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("rules", JSON, nullable=False),
    Column("packs", JSON, nullable=False),
    Column("source", String(64), nullable=False),
)

# --- the decision log (RFC 9162 Merkle tree; see store/log.py) -------------------------------

#: One row per log entry, numbered from 0 without gaps: the canonical JSON body as published.
log_entry = Table(
    "log_entry",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Hashes of the complete, aligned subtrees (level 0 = leaf hashes); they never change.
log_node = Table(
    "log_node",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

#: A single row (id 1) holding the tree size; appenders lock it, so the log is one sequence.
#: ``edge``: the tree's right edge (the complete nodes a later append combines with) for the
#: size ``edge_size``, kept by the group commit (``store/log.py``); used only while it is the size.
log_head = Table(
    "log_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("edge_size", BigInteger, nullable=True),
    Column("edge", LargeBinary, nullable=True),
)

#: Signed checkpoints (C2SP tlog-checkpoint notes), one per published tree size.
log_checkpoint = Table(
    "log_checkpoint",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# --- agency credentials (see store/credential.py) --------------------------------------------

#: API keys of partner agencies, one agency each. Only a SHA-256 hash of the key is kept: the
#: key itself is shown once, when it is issued, and is never stored or logged.
agency_key = Table(
    "agency_key",
    metadata,
    Column("key_id", String(16), primary_key=True, autoincrement=False),
    Column("agency_id", String(64), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("secret_hash", LargeBinary(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

# --- staff accounts (see store/staff.py) -------------------------------------------------------

#: The city's staff who sign in: a private sign-in name, a public pseudonymous id (``s-<hex>``,
#: what the log shows), roles, an argon2 password hash, and the lock-out counters.
staff_account = Table(
    "staff_account",
    metadata,
    Column("id", String(16), primary_key=True, autoincrement=False),
    Column("name", String(64), nullable=False, unique=True),
    Column("roles", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)

#: Staff API tokens for scripts, like agency keys: shown once, kept as a SHA-256 hash, revocable.
staff_token = Table(
    "staff_token",
    metadata,
    Column("token_id", String(16), primary_key=True, autoincrement=False),
    Column("staff_id", String(16), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("secret_hash", LargeBinary(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

# --- witness cosignatures of the log's checkpoints (see store/cosignature.py) ------------------

#: One row per (tree size, witness key): the cosignature line a witness returned for the
#: checkpoint of that size. The checkpoint plus these lines is the witnessed checkpoint.
log_cosignature = Table(
    "log_cosignature",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(300), primary_key=True, autoincrement=False),
    Column("line", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# --- cases: requests that reached a person (see store/case.py) --------------------------------

#: One row per case: who asked (agency; badge/name and contact as told), the request's facts
#: (``request``, the scenario-case format, which has no word for immigration status), the
#: rules' decision and its log index, the state (open, in-review, decided, closed), the
#: assignee, and the reviewer's answer with its own log index. A person only as the city's
#: keyed reference (``person_ref``), never a name.
case_file = Table(
    "case_file",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(16), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("opened_by", String(64), nullable=False),
    Column("assignee", String(16), nullable=True),
    Column("agency", String(64), nullable=False, index=True),
    Column("asked_by", String(200), nullable=True),
    Column("contact", String(200), nullable=True),
    Column("person_ref", String(64), nullable=True),
    Column("request", JSON, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("decision", JSON, nullable=False),
    Column("log_index", BigInteger, nullable=True, unique=True),
    Column("review_outcome", String(32), nullable=True),
    Column("review_conditions", JSON, nullable=True),
    Column("review_reason", Text, nullable=True),
    Column("review_clause", String(200), nullable=True),
    Column("reviewed_by", String(64), nullable=True),
    Column("review_index", BigInteger, nullable=True),
    Column("notes", Text, nullable=True),
)

#: A case's history, oldest first: opened, assigned, reviewed, closed, a note; each with its
#: actor (a staff or key id) and, when the step wrote the log, its index.
case_event = Table(
    "case_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("what", String(32), nullable=False),
    Column("log_index", BigInteger, nullable=True),
    Column("note", Text, nullable=True),
)

# --- the city's private release ledger (see store/ledger.py; never published) -----------------

#: Which rows each released query sent, and to whom: one row per fetch of the stream (``part``),
#: written before that fetch leaves. ``row_keys`` are the rows' keys, compressed
#: (``gateway/ledger.py``); ``fingerprints`` 8 bytes a row, a keyed hash of its released values
#: without the key, in the same order. Holds no value itself, only keys and keyed hashes.
release_ledger = Table(
    "release_ledger",
    metadata,
    Column("query", BigInteger, primary_key=True, autoincrement=False),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("released_at", DateTime(timezone=True), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("dataset", String(64), nullable=False, index=True),
    Column("fields", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("row_keys", LargeBinary, nullable=False),
    Column("fingerprints", LargeBinary, nullable=False),
)

#: Accountable exceptions (break-glass) on a case: the override (outcome, conditions), the
#: clause or emergency power relied on, the written reason, who granted it and when, its expiry
#: (hours, not days), its log entry, and, when it turns the rules' deny into an allow, the
#: second approver (it applies only once approved, and never after ``expires_at``).
case_exception = Table(
    "case_exception",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, nullable=False, index=True),
    Column("outcome", String(32), nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("clause", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("rules_outcome", String(32), nullable=False),
    Column("granted_by", String(64), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("log_index", BigInteger, nullable=False),
    Column("needs_second", Boolean, nullable=False),
    Column("approved_by", String(64), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("approval_index", BigInteger, nullable=True),
)

#: The document shown for a case, beside the request's kind and ``verified``: who at the city
#: verified it and when, and an uploaded copy (a random file name under the data directory, its
#: media type checked by content, its size, who uploaded it and when). Never in the public log.
case_document = Table(
    "case_document",
    metadata,
    Column("case_id", Integer, primary_key=True, autoincrement=False),
    Column("verified_by", String(200), nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
    Column("file_name", String(64), nullable=True),
    Column("media_type", String(32), nullable=True),
    Column("size", Integer, nullable=True),
    Column("uploaded_by", String(64), nullable=True),
    Column("uploaded_at", DateTime(timezone=True), nullable=True),
)

# --- the city's property registry (see store/property.py) -------------------------------------

#: One row per registered property: the city's id, the place whose rules bind it, name and
#: address, kind and owner in the packs' words (and whether leased to others), the managing
#: department, whether its gates lock, the sign posted on it (date, by whom) and its GeoJSON
#: geometry. Public data: the city publishes it.
city_property = Table(
    "city_property",
    metadata,
    Column("id", String(64), primary_key=True, autoincrement=False),
    Column("place", String(64), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("address", String(300), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("owner", String(32), nullable=False),
    Column("leased", Boolean, nullable=False),
    Column("department", String(300), nullable=True, index=True),
    Column("gates_lockable", Boolean, nullable=True),
    Column("sign_posted_on", Date, nullable=True),
    Column("sign_posted_by", String(300), nullable=True),
    Column("geometry", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
