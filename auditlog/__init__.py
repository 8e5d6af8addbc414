"""The audit pages for admins (the log, one telegram's history, verify now): a web-layer reader of the `audit`
ledger, which sits at the bottom and imports no other app."""
