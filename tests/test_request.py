"""Building the forwarded body: pass-through, stripping and ignored fields."""

from mcp_token_counter.core.request import BodyFields, Message, build_request


def test_unknown_block_types_and_fields_pass_through_unchanged() -> None:
    raw = {
        "role": "user",
        "content": [
            {"type": "future_block_2027", "payload": {"deep": [1, None, "x"]}, "cache_control": None},
            {"type": "text", "text": "Hello, 世界 👋"},
        ],
        "custom": True,
    }
    request = build_request(
        model="claude-sonnet-4-6",
        messages=[Message.model_validate(raw)],
        body_fields=BodyFields(),
        betas=None,
        raw_arguments=None,
    )
    assert request.body == {"model": "claude-sonnet-4-6", "messages": [raw]}


def test_sampling_fields_and_unknown_arguments_are_reported_not_forwarded() -> None:
    raw_arguments = {
        "model": "claude-opus-4.6[1m]",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_tokens": 100,
        "betas": ["b1", " b1 ", "", "b2"],
        "system": "s",
    }
    request = build_request(
        model="claude-opus-4.6[1m]",
        messages=[Message(role="user", content="hi")],
        body_fields=BodyFields(system="s"),
        betas=raw_arguments["betas"],  # type: ignore[arg-type]
        raw_arguments=raw_arguments,
    )
    assert request.model == "claude-opus-4-6"
    assert request.body == {
        "model": "claude-opus-4-6",
        "messages": [{"role": "user", "content": "hi"}],
        "system": "s",
    }
    assert request.betas == ("b1", "b2")
    assert request.ignored_fields == ("max_tokens", "temperature")


def test_locally_used_fields_are_not_reported_as_ignored() -> None:
    request = build_request(
        model="m",
        messages=[Message(role="user", content="hi")],
        body_fields=BodyFields(),
        betas=None,
        raw_arguments={"model": "m", "messages": [], "max_tokens": 5, "context_window": 9, "stream": True},
        used_locally=("max_tokens", "context_window"),
    )
    assert request.ignored_fields == ("stream",)
