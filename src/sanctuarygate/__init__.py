"""sanctuarygate: sanctuary (Welcoming City) rules as versioned, cited policy.

The public API::

    from sanctuarygate import decide, parse_request
    decision = decide(parse_request({...}))   # a Decision: outcome, rules, advice, obligations
"""

from sanctuarygate.domain.decision import Decision, Obligation, PackRef, RuleRef
from sanctuarygate.domain.request import Request, parse_request
from sanctuarygate.errors import (
    ConfigurationError,
    InputError,
    PolicyEvaluationError,
    PolicyLoadError,
    SanctuaryGateError,
    UnknownAgencyError,
    UnknownDatasetError,
    UnknownProfileError,
)
from sanctuarygate.policy.default import decide

__all__ = [
    "ConfigurationError",
    "Decision",
    "InputError",
    "Obligation",
    "PackRef",
    "PolicyEvaluationError",
    "PolicyLoadError",
    "Request",
    "RuleRef",
    "SanctuaryGateError",
    "UnknownAgencyError",
    "UnknownDatasetError",
    "UnknownProfileError",
    "decide",
    "parse_request",
]
__version__ = "0.1.0"
