"""Failures of the offline estimator.

The estimator is total over JSON it can walk: unknown block types, unreadable images and broken PDFs are
priced by fallback rules and named in the notes. Only a body it cannot walk at all is an error::

    MalformedRequest(ValueError)   ``messages`` is not a list of ``{role, content}`` objects

The module stays free of MCP imports; the server turns this into its own error for the model.
"""

from __future__ import annotations


class MalformedRequest(ValueError):
    """The body is not shaped like a Messages request; the message says where."""
