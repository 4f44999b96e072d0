"""A stand-in of the counting API (`POST /v1/messages/count_tokens`, `GET /v1/models/{id}`) for tests.

A real HTTP server on a loopback port, in the anthropic or the AceData flavour, that validates requests
like the real endpoint, answers a documented deterministic count (`expected_count`), records every
request (`RequestLog`) and plays scripted or random faults (`FaultPlan`). Start it with `run_standin()`,
the `standin` / `acedata_standin` / `standin_factory` fixtures, or `python -m tests.standin`.
"""

from tests.standin.config import (
    ANTHROPIC_VERSION,
    COUNT_PATH,
    DEFAULT_KEY,
    DEFAULT_MODELS,
    MAX_BODY_BYTES,
    MODELS_PATH,
    AuthStyle,
    Flavour,
    ModelSpec,
    StandinConfig,
)
from tests.standin.counting import canonical_json, expected_count, expected_original_count
from tests.standin.faults import (
    HTML_502,
    Drop,
    Fault,
    FaultPlan,
    RandomFaults,
    Reply,
    Stall,
    garbage,
    html_bad_gateway,
    overloaded,
    rate_limited,
    retry_headers,
    server_error,
)
from tests.standin.log import RecordedRequest, RequestLog
from tests.standin.runner import Standin, run_standin

__all__ = [
    "ANTHROPIC_VERSION",
    "COUNT_PATH",
    "DEFAULT_KEY",
    "DEFAULT_MODELS",
    "HTML_502",
    "MAX_BODY_BYTES",
    "MODELS_PATH",
    "AuthStyle",
    "Drop",
    "Fault",
    "FaultPlan",
    "Flavour",
    "ModelSpec",
    "RandomFaults",
    "RecordedRequest",
    "Reply",
    "RequestLog",
    "Stall",
    "Standin",
    "StandinConfig",
    "canonical_json",
    "expected_count",
    "expected_original_count",
    "garbage",
    "html_bad_gateway",
    "overloaded",
    "rate_limited",
    "retry_headers",
    "run_standin",
    "server_error",
]
