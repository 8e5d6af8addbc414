from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("csv/", views.log_csv, name="csv"),
    path("export.jsonl", views.log_jsonl, name="jsonl"),
    path("telegram/<int:pk>/", views.telegram_history, name="telegram"),
    path("verify/", views.verify, name="verify"),
]
