"""A witness (c2sp.org/tlog-witness): an independent party that cosigns the log's checkpoints.

The city holds the log's key, so on its own it could show one history to one person and another
to someone else. A witness run by someone else (a community group, a council office, the
attorney general's office) remembers the last checkpoint it cosigned for the log and cosigns a
new one only if a consistency proof shows it extends that one. An auditor who requires k of n
witnesses' cosignatures knows the history they are shown is the one those witnesses saw.

    home.py       the witness's directory: key files and state file
    state.py      its SQLite state (compare-and-swap updates, evidence of forks)
    protocol.py   the add-checkpoint wire format and the witness's errors
    cosigner.py   the checks and the cosignature
    app.py        the HTTP service
    client.py     asking a witness to cosign

The cosignature format itself is ``audit/cosignature.py``.
"""

from __future__ import annotations

from sanctuarygate.witness.client import request_cosignature, submit
from sanctuarygate.witness.cosigner import Witness
from sanctuarygate.witness.home import init_witness, load_signer, open_state
from sanctuarygate.witness.protocol import (
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownOriginError,
    WitnessError,
    WitnessRefusedError,
    WitnessUnavailableError,
)

__all__ = [
    "InconsistentCheckpointError",
    "SizeConflictError",
    "UnknownOriginError",
    "Witness",
    "WitnessError",
    "WitnessRefusedError",
    "WitnessUnavailableError",
    "init_witness",
    "load_signer",
    "open_state",
    "request_cosignature",
    "submit",
]
