"""Telling a bad token from an issuer that cannot be asked: a note per request, read by the gate.

The SDK's authentication backend turns every failed check into 401. When a check failed because the
authorization server could not be reached, the verifier notes it here and the gate answers 503 instead,
so a client retries rather than sending its user through sign-in again.
"""

from __future__ import annotations

from contextvars import ContextVar

_notes: ContextVar[list[str] | None] = ContextVar("oauth_outage", default=None)


def listen() -> list[str]:
    """A fresh note list for the current request (the gate calls this before passing the request on)."""
    notes: list[str] = []
    _notes.set(notes)
    return notes


def report(reason: str) -> None:
    """Note that a token could not be checked because the issuer did not answer."""
    notes = _notes.get()
    if notes is not None:
        notes.append(reason)
