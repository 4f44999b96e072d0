"""The request rules: a count_tokens body priced part by part (``estimate``), after the documented rules for
content blocks, images, PDFs, tool definitions and the framing of turns; text goes to ``offline.text``."""
