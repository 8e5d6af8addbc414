"""Scalar subqueries for queries that gather several figures in one round trip (the live poll)."""
from __future__ import annotations

from django.db.models import Expression, F, Func, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def scalar(qs: QuerySet, function: str, field: str = "pk") -> Expression:
    """`(SELECT COUNT(field) FROM … WHERE …)` — or SUM, MAX — over `qs` as an expression: one row without GROUP BY
    (Django would group by the outer key with a real aggregate); 0 when there are no rows."""
    rows = qs.order_by().annotate(v=Func(F(field), function=function, output_field=IntegerField())).values("v")
    return Coalesce(Subquery(rows[:1], output_field=IntegerField()), Value(0))
