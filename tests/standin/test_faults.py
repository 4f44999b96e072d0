"""Scripted faults, random faults, latency, stalls and drops, and the request log that records them."""

import time
from collections.abc import AsyncIterator

import anyio
import httpx2
import pytest
from pydantic import JsonValue

from tests.standin import (
    COUNT_PATH,
    HTML_502,
    Drop,
    RandomFaults,
    Reply,
    Stall,
    Standin,
    expected_count,
    garbage,
    html_bad_gateway,
    overloaded,
    rate_limited,
    server_error,
)

pytestmark = pytest.mark.anyio

HELLO: dict[str, JsonValue] = {
    "model": "claude-haiku-4-5",
    "messages": [{"role": "user", "content": "Hello"}],
}
OK = {"input_tokens": expected_count(HELLO)}


@pytest.fixture
async def client(standin: Standin) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:
        yield http


async def count(client: httpx2.AsyncClient) -> httpx2.Response:
    return await client.post(COUNT_PATH, json=HELLO)


async def test_scripted_replies_are_used_once_in_order(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(rate_limited(retry_after="2"), overloaded())

    first, second, third = [await count(client) for _ in range(3)]

    assert (first.status_code, second.status_code, third.status_code) == (429, 529, 200)
    assert first.headers["retry-after"] == "2"
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert second.json()["error"]["type"] == "overloaded_error"
    assert second.json()["request_id"] == second.headers["request-id"]
    assert third.json() == OK
    assert [r.fault for r in standin.log] == [rate_limited(retry_after="2"), overloaded(), None]
    assert standin.faults.pending == 0


@pytest.mark.parametrize(
    ("reply", "headers"),
    [
        (rate_limited(), {}),
        (rate_limited(retry_after_ms="1500"), {"retry-after-ms": "1500"}),
        (rate_limited(should_retry=False), {"x-should-retry": "false"}),
        (overloaded(retry_after="0", should_retry=True), {"retry-after": "0", "x-should-retry": "true"}),
        (server_error(503), {}),
    ],
)
async def test_retry_headers_are_sent_as_scripted(
    client: httpx2.AsyncClient, standin: Standin, reply: Reply, headers: dict[str, str]
) -> None:
    standin.faults.push(reply)

    response = await count(client)

    retry_names = {"retry-after", "retry-after-ms", "x-should-retry"}
    assert response.status_code == reply.status
    assert {k: v for k, v in response.headers.items() if k in retry_names} == headers


async def test_times_and_paths_select_requests(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(server_error(503), path="/v1/models/*", times=2)

    counted = await count(client)
    models = [(await client.get("/v1/models/claude-haiku-4-5")).status_code for _ in range(3)]

    assert counted.status_code == 200
    assert models == [503, 503, 200]


async def test_a_fault_for_any_path(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(Reply(500), path=None)

    response = await client.get("/v1/models/claude-haiku-4-5")

    assert response.json()["error"]["type"] == "api_error"


async def test_scripted_bodies_are_sent_verbatim(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(
        Reply(200, body={"input_tokens": 5, "extra": True}),
        Reply(418, body=b"short and stout", headers={"content-type": "text/plain"}),
    )

    as_json, as_bytes = await count(client), await count(client)

    assert as_json.json() == {"input_tokens": 5, "extra": True}
    assert (as_bytes.status_code, as_bytes.content) == (418, b"short and stout")
    assert as_bytes.headers["content-type"].startswith("text/plain")


async def test_garbage_200_is_not_json(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(garbage())

    response = await count(client)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()
    assert (standin.log.last().response_json, standin.log.last().responded) == (None, True)


async def test_html_502_has_no_request_id(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(html_bad_gateway())

    response = await count(client)

    assert (response.status_code, response.content) == (502, HTML_502)
    assert response.headers["content-type"].startswith("text/html")
    assert "request-id" not in response.headers


@pytest.mark.parametrize(("status", "code"), [(429, "too_many_requests"), (403, "used_up"), (500, "api_error")])
async def test_acedata_faults_use_acedata_codes(acedata_standin: Standin, status: int, code: str) -> None:
    acedata_standin.faults.push(Reply(status))
    async with httpx2.AsyncClient(base_url=acedata_standin.base_url, headers=acedata_standin.auth_headers()) as http:
        response = await count(http)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["trace_id"] == acedata_standin.log.last().request_id


async def test_drop_breaks_the_connection_and_the_stand_in_keeps_serving(
    client: httpx2.AsyncClient, standin: Standin
) -> None:
    standin.faults.push(Drop())

    with pytest.raises(httpx2.RemoteProtocolError):
        await count(client)
    after = await count(client)

    dropped = standin.log[0]
    assert (dropped.fault, dropped.status, dropped.responded) == (Drop(), 200, False)
    assert after.json() == OK


def test_drop_must_leave_something_out() -> None:
    with pytest.raises(ValueError, match="shorter"):
        Drop(partial_body=b"x" * 10, declared_length=10)


async def test_stall_holds_until_released(client: httpx2.AsyncClient, standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall)
    responses: list[httpx2.Response] = []

    async def send() -> None:
        responses.append(await count(client))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(send)
            await stall.wait_arrived()
            assert (standin.log.in_flight, responses) == (1, [])
            stall.release()

    assert responses[0].json() == OK
    assert (stall.arrived, stall.disconnected, standin.log.in_flight) == (1, 0, 0)


async def test_stall_can_end_on_its_own_and_answer_as_told(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.push(Stall(seconds=0.05, then=rate_limited(retry_after="1")))

    with anyio.fail_after(5):
        response = await count(client)

    assert (response.status_code, response.headers["retry-after"]) == (429, "1")


async def test_stall_notices_a_client_timeout(standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall)
    timeout = httpx2.Timeout(5.0, read=0.1)

    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers(), timeout=timeout) as http:
        with pytest.raises(httpx2.ReadTimeout):
            await count(http)
    with anyio.fail_after(5):
        await stall.wait_disconnected()

    record = standin.log.last()
    assert (record.client_disconnected, record.status, standin.log.in_flight) == (True, None, 0)


async def test_stall_notices_a_cancelled_client(client: httpx2.AsyncClient, standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(count, client)
            await stall.wait_arrived()
            group.cancel_scope.cancel()
        await stall.wait_disconnected()

    assert standin.log.last().client_disconnected


async def test_reset_releases_held_requests(client: httpx2.AsyncClient, standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall, times=2)
    standin.faults.push(Reply(500))
    responses: list[httpx2.Response] = []

    async def send() -> None:
        responses.append(await count(client))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(send)
            await stall.wait_arrived()
            standin.reset()

    assert responses[0].json() == OK
    assert (standin.faults.pending, stall.released) == (0, True)


async def test_max_in_flight_counts_overlapping_requests(client: httpx2.AsyncClient, standin: Standin) -> None:
    stall = Stall()
    standin.faults.push(stall, times=5)
    statuses: list[int] = []
    in_flight_while_held = 0

    async def send() -> None:
        statuses.append((await count(client)).status_code)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(send)
            await stall.wait_arrived(5)
            in_flight_while_held = standin.log.in_flight
            stall.release()
        await standin.log.wait_for_responses(5)

    assert (in_flight_while_held, standin.log.max_in_flight, standin.log.in_flight) == (5, 5, 0)
    assert statuses == [200] * 5


async def test_sequential_requests_never_overlap(client: httpx2.AsyncClient, standin: Standin) -> None:
    for _ in range(3):
        await count(client)

    assert standin.log.max_in_flight == 1


async def test_latency_delays_every_reply(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.latency = 0.05

    started = time.monotonic()
    await count(client)
    await client.get("/v1/models/claude-haiku-4-5")

    assert time.monotonic() - started >= 0.1
    assert all(r.ended_at is not None and r.ended_at - r.received_at >= 0.05 for r in standin.log)
    assert started <= standin.log[0].received_at <= standin.log[1].received_at


async def outcomes(client: httpx2.AsyncClient, n: int) -> list[int | str]:
    seen: list[int | str] = []
    for _ in range(n):
        try:
            seen.append((await count(client)).status_code)
        except httpx2.RemoteProtocolError:
            seen.append("dropped")
    return seen


async def test_random_faults_are_reproducible_from_the_seed(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.random_faults = RandomFaults(rate=0.5, seed=42)
    first = await outcomes(client, 30)
    standin.faults.random_faults = RandomFaults(rate=0.5, seed=42)
    second = await outcomes(client, 30)

    assert first == second
    assert {200, 529, 500, "dropped"} <= set(first)
    assert sum(o != 200 for o in first) == sum(r.fault is not None for r in standin.log) // 2


async def test_random_faults_respect_rate_and_path(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.random_faults = RandomFaults(rate=1.0, choices=(Reply(503),))

    counted = await count(client)
    model = await client.get("/v1/models/claude-haiku-4-5")
    standin.faults.random_faults = RandomFaults(rate=0.0)
    after = await count(client)

    assert (counted.status_code, model.status_code, after.status_code) == (503, 200, 200)


async def test_scripted_faults_come_before_random_ones(client: httpx2.AsyncClient, standin: Standin) -> None:
    standin.faults.random_faults = RandomFaults(rate=1.0, choices=(Reply(500),))
    standin.faults.push(Reply(429))

    assert [(await count(client)).status_code for _ in range(2)] == [429, 500]


async def test_log_records_what_arrived_and_what_was_answered(client: httpx2.AsyncClient, standin: Standin) -> None:
    raw = b'{"messages": [{"role": "user", "content": "Hello"}], "model": "claude-haiku-4-5"}'

    response = await client.post(
        COUNT_PATH,
        params={"beta": "true"},
        content=raw,
        headers={"Content-Type": "application/json", "X-Trace": "t"},
    )

    record = standin.log.last()
    assert (record.method, record.path, record.query) == ("POST", COUNT_PATH, "beta=true")
    assert (record.body, record.body_size, record.json) == (raw, len(raw), HELLO)
    assert record.headers["x-trace"] == record.headers["X-TRACE"] == "t"
    assert record.headers["x-api-key"] == standin.auth_headers()["x-api-key"]
    assert (record.status, record.response_json) == (200, response.json())
    assert record.response_headers["request-id"] == response.headers["request-id"] == record.request_id
    assert standin.log.to(COUNT_PATH) == (record,)


async def test_log_waits_and_clears(client: httpx2.AsyncClient, standin: Standin) -> None:
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(count, client)
            group.start_soon(count, client)
            await standin.log.wait_for_requests(2)
            await standin.log.wait_for_responses(2)
    assert len(standin.log) == 2

    standin.log.clear()

    assert (len(standin.log), standin.log.max_in_flight) == (0, 0)
    with pytest.raises(IndexError):
        standin.log.last()
