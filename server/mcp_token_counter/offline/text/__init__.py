"""The text engine: a text's tokens as ``ctok.token_count`` counts them, less the message frame (``count``),
summed per word over memos (``fast_count``), on the compiled kernels (``offline.compiled``) when they load and
agree, else on the exact Python path."""
