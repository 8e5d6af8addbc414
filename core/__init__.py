"""The kernel every app may import: typed action errors, lifecycle tables and the after-commit event dispatch.

It imports no app of this project (bottom layer, below directory, vault and audit)."""
