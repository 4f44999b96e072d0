"""The stand-in's Starlette app: `POST /v1/messages/count_tokens` and `GET /v1/models/{id}`."""

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.standin.config import COUNT_PATH, MODELS_PATH, ModelSpec, StandinConfig
from tests.standin.counting import expected_count, expected_original_count
from tests.standin.errors import ApiError
from tests.standin.faults import FaultPlan
from tests.standin.log import RequestLog
from tests.standin.middleware import REQUEST_ID_KEY, StandinMiddleware, StandinState, error_response
from tests.standin.validation import (
    check_auth,
    check_content_type,
    check_count_body,
    check_model,
    check_version,
    parse_object,
)


def model_info(spec: ModelSpec) -> dict[str, str | int]:
    """The `ModelInfo` body for a model."""
    return {
        "type": "model",
        "id": spec.id,
        "display_name": spec.display_name,
        "created_at": spec.created_at,
        "max_input_tokens": spec.max_input_tokens,
        "max_tokens": spec.max_tokens,
    }


def _listed_model(config: StandinConfig, model_id: str) -> ModelSpec:
    spec = config.model(model_id)
    if spec is None or not spec.listed:
        raise ApiError(404, f"model: {model_id}")
    return spec


class _Routes:
    def __init__(self, state: StandinState) -> None:
        self.state = state
        self.config = state.config

    def _error(self, error: ApiError, request: Request) -> Response:
        return error_response(error, self.state, str(request.scope.get(REQUEST_ID_KEY, "")))

    async def count_tokens(self, request: Request) -> Response:
        try:
            check_auth(request.headers, self.config)
            check_version(request.headers, self.config)
            check_content_type(request.headers)
            body = parse_object(await request.body())
            check_count_body(body, beta="anthropic-beta" in request.headers)
            check_model(body, self.config)
        except ApiError as error:
            return self._error(error, request)
        original = expected_original_count(body)
        management = {} if original is None else {"context_management": {"original_input_tokens": original}}
        return JSONResponse({"input_tokens": expected_count(body), **management})

    async def get_model(self, request: Request) -> Response:
        model_id = str(request.path_params["model_id"])
        try:
            check_auth(request.headers, self.config)
            check_version(request.headers, self.config)
            spec = _listed_model(self.config, model_id)
        except ApiError as error:
            return self._error(error, request)
        return JSONResponse(model_info(spec))

    async def http_error(self, request: Request, exc: Exception) -> Response:
        # Starlette's router raises HTTPException for unknown paths and wrong methods.
        if not isinstance(exc, HTTPException):
            raise exc
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return self._error(ApiError(exc.status_code, message), request)


def build_app(config: StandinConfig, log: RequestLog, faults: FaultPlan) -> Starlette:
    """The ASGI app answering as the counting API would, recording into `log`, applying `faults`."""
    state = StandinState(config, log, faults)
    routes = _Routes(state)
    return Starlette(
        routes=[
            Route(COUNT_PATH, routes.count_tokens, methods=["POST"]),
            Route(MODELS_PATH + "/{model_id}", routes.get_model, methods=["GET"]),
        ],
        middleware=[Middleware(StandinMiddleware, state=state)],
        exception_handlers={HTTPException: routes.http_error},
    )
