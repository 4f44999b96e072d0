"""The counting API: the only package that imports ``httpx2``.

``client`` sends counts and model lookups; ``http`` makes the shared HTTP client; ``body`` encodes request
bodies; ``errors`` maps error responses; ``retry`` and ``pressure`` decide when to try again and how hard to
press on the API.
"""
