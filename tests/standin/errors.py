"""Error bodies in the two shapes the counting API is reached through (counting-api.md §7)."""

from typing import Final

from pydantic import JsonValue

from tests.standin.config import Flavour

# Anthropic `error.type` by status; unlisted statuses fall back by class (4xx/5xx).
_ANTHROPIC_TYPES: Final[dict[int, str]] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# AceData `error.code` by status (§7.2). 403 is `used_up` because insufficient balance is the 403 a
# client must tell apart from an auth failure; 413 has no documented code.
_ACEDATA_CODES: Final[dict[int, str]] = {
    400: "bad_request",
    401: "invalid_token",
    403: "used_up",
    404: "no_api",
    413: "request_too_large",
    429: "too_many_requests",
    500: "api_error",
}

_DEFAULT_MESSAGES: Final[dict[int, str]] = {
    429: "Number of requests has exceeded your rate limit (scripted by the stand-in).",
    500: "Internal server error (scripted by the stand-in).",
    529: "Overloaded (scripted by the stand-in).",
}


def anthropic_type(status: int) -> str:
    """Anthropic's `error.type` for a status."""
    return _ANTHROPIC_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def acedata_code(status: int) -> str:
    """AceData's `error.code` for a status."""
    return _ACEDATA_CODES.get(status, "bad_request" if status < 500 else "api_error")


class ApiError(Exception):
    """An error reply; `code` overrides the AceData code derived from the status."""

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.code = code

    def body(self, flavour: Flavour, request_id: str) -> dict[str, JsonValue]:
        """The JSON body for this error in the given flavour."""
        if flavour == "acedata":
            code = self.code or acedata_code(self.status)
            return {"error": {"code": code, "message": self.message}, "trace_id": request_id}
        return {
            "type": "error",
            "error": {"type": anthropic_type(self.status), "message": self.message},
            "request_id": request_id,
        }


def default_error(status: int) -> ApiError:
    """The error a scripted reply sends when the test gives no body."""
    return ApiError(status, _DEFAULT_MESSAGES.get(status, f"Scripted {status} from the stand-in."))
