"""What counts as a secret, how it is shown, and that log records (tracebacks too) are scrubbed as made."""

import io
import json
import logging

import pytest

from mcp_token_counter.redaction import Redactor, display_url, protect_logs, secrets_in
from mcp_token_counter.upstream.errors import parse_error_body

SECRET = "sk-ant-api03-REDACT-ME-0123456789"


def test_the_environment_names_every_secret_it_configures() -> None:
    env = {
        "ANTHROPIC_API_KEY": SECRET,
        "TOKEN_COUNTER_HTTP_TOKEN": "http-bearer-token-42",
        "ANTHROPIC_BASE_URL": "https://user:pa55word-xyz@gw.example/proxy/gw7Kq2ZP9xVb4LmN8sRt/v1?key=q-secret-99",
        "ACEDATACLOUD_API_TOKEN": "short",  # too short to mask without garbling every message
    }
    assert set(secrets_in(env)) == {
        SECRET,
        "http-bearer-token-42",
        "pa55word-xyz",
        "gw7Kq2ZP9xVb4LmN8sRt",
        "q-secret-99",
    }


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com"),
        ("https://gw.example/anthropic/v1", "https://gw.example/anthropic/v1"),
        ("https://gw.example/proxy/gw7Kq2ZP9xVb4LmN8sRt/", "https://gw.example/proxy/***/"),
        ("https://gw.example/sk-abcdefgh12", "https://gw.example/***"),
        ("https://gw.example/v1?key=abc&x=1", "https://gw.example/v1?key=***&x=***"),
    ],
)
def test_display_url_masks_what_looks_like_a_key(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_the_redactor_masks_plain_and_url_encoded_forms() -> None:
    redact = Redactor(["pa55/word+xyz", SECRET])
    assert redact(f"a {SECRET} b pa55%2Fword%2Bxyz c") == "a *** b *** c"


def test_log_records_and_their_tracebacks_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    protect_logs([SECRET])
    logger = logging.getLogger("tests.redaction")
    with caplog.at_level(logging.INFO):
        logger.info("echoed %s by the upstream", SECRET)
        try:
            _fail(f"the upstream said {SECRET}")
        except ValueError:
            logger.exception("failed")
    assert [record.getMessage() for record in caplog.records] == ["echoed *** by the upstream", "failed"]
    assert "ValueError: the upstream said ***" in caplog.text
    assert SECRET not in caplog.text


def _fail(message: str) -> None:
    raise ValueError(message)


def test_a_bad_log_call_is_still_reported_by_logging_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    """Scrubbing formats the message when the record is made; a call whose arguments do not fit must reach
    logging's own error report (at emit time), not raise at the call site."""
    protect_logs([SECRET])
    logger = logging.getLogger("tests.redaction.bad_call")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(io.StringIO()))
    logger.warning("%d tokens", "many")
    assert "--- Logging error ---" in capsys.readouterr().err


def test_an_upstream_message_is_scrubbed_before_it_is_cut() -> None:
    """A key echoed near the end of the kept text would be cut in half and slip past the mask."""
    body = json.dumps({"error": {"type": "x", "message": "y" * 280 + SECRET}}).encode()
    parsed = parse_error_body(body, {}, Redactor([SECRET]))
    assert parsed.message is not None
    assert SECRET[:10] not in parsed.message
    assert parsed.message.endswith("***")
