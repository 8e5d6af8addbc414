"""Lifecycle tables: which state may go to which. Each stateful model declares one; its actions module checks
every assignment against it (`Lifecycle.check`), so an illegal transition raises instead of happening."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import TextChoices

from .errors import IllegalTransition


class Lifecycle:
    def __init__(self, name: str, states: type[TextChoices], transitions: Mapping[str, Iterable[str]],
                 *, initial: Iterable[str]):
        self.name = name
        self.states = states
        self.initial = frozenset(initial)
        self.transitions = {state: frozenset(to) for state, to in transitions.items()}
        known = set(states.values)
        for state, targets in self.transitions.items():
            unknown = ({state} | targets) - known
            if unknown:
                raise ValueError(f"{name}: unknown states {sorted(unknown)}")

    def label(self, state: str) -> str:
        try:
            return self.states(state).label
        except ValueError:
            return state

    def allowed(self, state: str) -> frozenset[str]:
        return self.transitions.get(state, frozenset())

    def can(self, old: str, new: str) -> bool:
        return new in self.allowed(old)

    def check(self, old: str, new: str, *, message: str | None = None) -> None:
        if not self.can(old, new):
            raise IllegalTransition(
                message or f"{self.name}当前状态为“{self.label(old)}”，不能变为“{self.label(new)}”。",
                code="illegal_transition", old=old, new=new,
            )

    def check_initial(self, state: str) -> None:
        if state not in self.initial:
            raise IllegalTransition(f"{self.name}不能以“{self.label(state)}”状态创建。")

    def rows(self) -> list[tuple[str, str, list[str]]]:
        """(state, label, [labels it may go to]) for documentation and the architecture test."""
        return [(s.value, s.label, [t.label for t in self.states if t.value in self.allowed(s.value)]) for s in self.states]
