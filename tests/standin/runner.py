"""Running the stand-in on a loopback port, in a background thread with its own event loop."""

import logging
import socket
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from types import TracebackType
from typing import Final, Self

import uvicorn

from tests.standin.app import build_app
from tests.standin.config import ANTHROPIC_VERSION, DEFAULT_KEY, StandinConfig
from tests.standin.faults import FaultPlan
from tests.standin.log import RequestLog
from tests.standin.middleware import QuietDeliberateDrops

_START_TIMEOUT: Final = 10.0
_STOP_TIMEOUT: Final = 10.0
# Uvicorn waits this long for held requests at shutdown; stop() releases stalls first, so it is a backstop.
_GRACEFUL_SHUTDOWN: Final = 2


class _Server(uvicorn.Server):
    """A uvicorn server that reports when it is actually listening."""

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_listening(self.servers[0].sockets[0].getsockname()[1])


def _quiet_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietDeliberateDrops) for f in logger.filters):
        logger.addFilter(QuietDeliberateDrops())


def make_server(
    config: StandinConfig,
    log: RequestLog,
    faults: FaultPlan,
    *,
    host: str,
    port: int,
    on_listening: Callable[[int], None],
) -> uvicorn.Server:
    """A uvicorn server for the stand-in app; `on_listening(port)` runs once it accepts connections."""
    _quiet_drops()
    app = build_app(config, log, faults)
    uv_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="asyncio",
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )
    return _Server(uv_config, on_listening)


class Standin:
    """A running stand-in of the counting API.

    Use as a context manager (or `start()`/`stop()`). `log` records requests, `faults` scripts failures;
    both are safe to use from the test's thread while the stand-in serves from its own.
    """

    def __init__(self, config: StandinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config if config is not None else StandinConfig()
        self.host = host
        self.port = port
        self.log = RequestLog(self.config.flavour)
        self.faults = FaultPlan(latency=self.config.latency)
        self._listening = threading.Event()
        self._server = make_server(
            self.config, self.log, self.faults, host=host, port=port, on_listening=self._on_listening
        )
        self._thread: threading.Thread | None = None
        self._exit_code: int | str | None = None

    @property
    def base_url(self) -> str:
        """`http://host:port`, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def auth_headers(self, key: str | None = None) -> dict[str, str]:
        """Headers a well-behaved client of this flavour sends (minus content-type)."""
        token = key if key is not None else next(iter(sorted(self.config.keys)), DEFAULT_KEY)
        if self.config.flavour == "acedata":
            return {"authorization": f"Bearer {token}"}
        return {"x-api-key": token, "anthropic-version": ANTHROPIC_VERSION}

    def reset(self) -> None:
        """Release stalls, drop scripted faults, restore the configured latency and clear the log."""
        self.faults.clear(latency=self.config.latency)
        self.log.clear()

    def start(self) -> None:
        """Serve in a background thread; return once the port accepts connections.

        Raises:
            RuntimeError: the server did not start (port taken, for example; uvicorn logs why).
        """
        self._thread = threading.Thread(target=self._serve, name=f"standin-{self.config.flavour}", daemon=True)
        self._thread.start()
        # A blocking wait on an event the server sets once listening (or on failure): no polling.
        if not self._listening.wait(_START_TIMEOUT) or not self._server.started:
            self.stop()
            raise RuntimeError(f"stand-in did not start on {self.host}:{self.port} (exit {self._exit_code!r})")

    def stop(self) -> None:
        """Release held requests, shut the server down and join its thread."""
        self.faults.release_stalls()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError("stand-in did not stop in time")
            self._thread = None

    def _on_listening(self, port: int) -> None:
        self.port = port
        self._listening.set()

    def _serve(self) -> None:
        try:
            self._server.run()
        except SystemExit as exc:  # uvicorn exits when it cannot bind; report it to start()
            self._exit_code = exc.code
        finally:
            self._listening.set()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def run_standin(config: StandinConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> Generator[Standin]:
    """Run a stand-in for the duration of a `with` block.

    Example::

        with run_standin(StandinConfig(flavour="acedata")) as standin:
            httpx2.post(f"{standin.base_url}/v1/messages/count_tokens", ...)
    """
    with Standin(config, host=host, port=port) as standin:
        yield standin
