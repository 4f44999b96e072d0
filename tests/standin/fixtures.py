"""Pytest fixtures for the stand-in (registered for all tests by `tests/conftest.py`).

`standin` and `acedata_standin` reuse one server per flavour for the whole session (starting and
stopping uvicorn costs ~0.2 s) and reset it around each test: stalls released, faults dropped, latency
restored, log cleared. Tests needing other settings (keys, models, body limit) ask `standin_factory`
for a private server, stopped at the end of the test.
"""

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from tests.standin.config import StandinConfig
from tests.standin.runner import Standin

StandinFactory = Callable[[StandinConfig], Standin]


@pytest.fixture
def anyio_backend() -> str:
    """The stand-in's waiting helpers need asyncio."""
    return "asyncio"


@pytest.fixture(scope="session")
def _anthropic_standin_server() -> Iterator[Standin]:
    with Standin(StandinConfig(flavour="anthropic")) as standin:
        yield standin


@pytest.fixture(scope="session")
def _acedata_standin_server() -> Iterator[Standin]:
    with Standin(StandinConfig(flavour="acedata")) as standin:
        yield standin


def _fresh(standin: Standin) -> Iterator[Standin]:
    standin.reset()
    yield standin
    standin.reset()


@pytest.fixture
def standin(_anthropic_standin_server: Standin) -> Iterator[Standin]:
    """A running anthropic-flavour stand-in with an empty log and no faults."""
    yield from _fresh(_anthropic_standin_server)


@pytest.fixture
def acedata_standin(_acedata_standin_server: Standin) -> Iterator[Standin]:
    """A running AceData-flavour stand-in (Bearer auth only) with an empty log and no faults."""
    yield from _fresh(_acedata_standin_server)


@pytest.fixture
def standin_factory() -> Iterator[StandinFactory]:
    """Start private stand-ins with any `StandinConfig`; all are stopped after the test."""
    with ExitStack() as stack:

        def start(config: StandinConfig) -> Standin:
            return stack.enter_context(Standin(config))

        yield start
