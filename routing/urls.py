from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("deliveries/<int:pk>/sign/", views.sign, name="sign"),
    path("deliveries/<int:pk>/done/", views.complete, name="complete"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("unknown-units/", views.unknown_units, name="unknown_units"),
    path("unknown-units/<int:pk>/", views.resolve_unknown, name="resolve_unknown"),
]
