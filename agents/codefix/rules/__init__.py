"""One module per error class; each rule is ``(Source) -> (edits, changes)`` (one pass)."""
