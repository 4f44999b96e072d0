"""Starting and stopping the stand-in: context manager, fixtures and the command line."""

import subprocess
import sys
from pathlib import Path

import anyio
import httpx2
import pytest

from tests.standin import COUNT_PATH, DEFAULT_KEY, Stall, Standin, StandinConfig, expected_count, run_standin

REPO = Path(__file__).resolve().parents[2]
HELLO = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello, Claude"}]}


def test_run_standin_serves_until_the_block_ends() -> None:
    with run_standin(StandinConfig(flavour="acedata")) as standin:
        response = httpx2.post(standin.base_url + COUNT_PATH, json=HELLO, headers=standin.auth_headers())
        base_url = standin.base_url

    assert response.json() == {"input_tokens": expected_count(HELLO)}
    assert standin.port != 0
    with pytest.raises(httpx2.ConnectError):
        httpx2.post(base_url + COUNT_PATH, json=HELLO)


def test_a_taken_port_is_reported(standin: Standin) -> None:
    with pytest.raises(RuntimeError, match="did not start"), run_standin(port=standin.port):
        pass


@pytest.mark.anyio
async def test_stop_releases_held_requests() -> None:
    # A stall left unreleased must not keep the server (and the test run) alive.
    standin = Standin()
    standin.start()
    stall = Stall()
    standin.faults.push(stall)
    responses: list[httpx2.Response] = []

    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:

        async def send() -> None:
            responses.append(await http.post(COUNT_PATH, json=HELLO))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(send)
                await stall.wait_arrived()
                await anyio.to_thread.run_sync(standin.stop)

    assert responses[0].status_code == 200


def test_session_stand_ins_keep_their_port_between_tests(standin: Standin, acedata_standin: Standin) -> None:
    assert standin.port != acedata_standin.port
    assert (standin.config.flavour, acedata_standin.config.flavour) == ("anthropic", "acedata")


@pytest.mark.anyio
async def test_command_line_prints_the_url_and_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "tests.standin",
        "--port",
        "0",
        "--flavour",
        "acedata",
        "--latency-ms",
        "1",
    ]
    with anyio.fail_after(20):
        async with await anyio.open_process(command, cwd=REPO, stderr=subprocess.DEVNULL) as process:
            assert process.stdout is not None
            line = b""
            async for chunk in process.stdout:
                line += chunk
                if b"\n" in line:
                    break
            base_url = line.decode().strip()
            async with httpx2.AsyncClient(base_url=base_url) as http:
                response = await http.post(COUNT_PATH, json=HELLO, headers={"authorization": f"Bearer {DEFAULT_KEY}"})
            process.terminate()
            await process.wait()

    assert base_url.startswith("http://127.0.0.1:")
    assert response.json() == {"input_tokens": expected_count(HELLO)}
