"""Every way a telegram comes in — the clerk's form, a pasted or uploaded text, a folder of terminal output (and
OCR, the API) — becomes one TelegramInput, and one action registers it (intake.actions.register): the 批办 is
resolved against the directory and opened as a routing order in the registration's own transaction."""
