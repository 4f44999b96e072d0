"""Whose count this is: the caller's subject, as part of the count cache's scope.

Over HTTP with OAuth every call is made for a subject (the token's ``sub``). Counts are cached per subject,
so a cache hit never tells one user that another counted the same content. The HTTP door sets the subject
for the duration of a call (``acting_for``); stdio and the CLI never do, and their scope is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

_subject: ContextVar[str | None] = ContextVar("token_counter_subject", default=None)


def cache_scope(base: str) -> str:
    """``base`` (where a count is made: provider and credential) narrowed to the current subject, if any."""
    subject = _subject.get()
    if subject is None:
        return base
    return f"{base}\0subject:{hashlib.sha256(subject.encode('utf-8', 'surrogatepass')).hexdigest()}"


@contextmanager
def acting_for(subject: str | None) -> Generator[None]:
    """Counts made inside are scoped to ``subject`` (None: no subject)."""
    token = _subject.set(subject)
    try:
        yield
    finally:
        _subject.reset(token)
