"""The product's URLs plus the baseline view under /bench/ (benchmark runs only: bench/settings.py)."""
from django.urls import path

from telegram_office.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/insert/", views.insert_row, name="bench-insert"),
    path("bench/register-floor/", views.register_floor, name="bench-register-floor"),
    path("bench/audit-floor/", views.audit_floor, name="bench-audit-floor"),
    path("bench/history-floor/", views.history_floor, name="bench-history-floor"),
    *product_urlpatterns,
]
