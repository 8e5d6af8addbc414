from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("deliveries/<int:pk>/sign/", views.sign, name="sign"),
    path("deliveries/<int:pk>/proxy-sign/", views.proxy_sign, name="proxy_sign"),
    path("deliveries/<int:pk>/deadline/", views.change_deadline, name="change_deadline"),
    path("deliveries/<int:pk>/hand-back/", views.hand_back, name="hand_back"),
    path("deliveries/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("handbacks/<int:pk>/", views.resolve_handback, name="resolve_handback"),
    path("telegrams/<int:pk>/circulate/", views.circulate, name="circulate"),
    path("files/<int:pk>/", views.result_file, name="result_file"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("unknown-units/", views.unknown_units, name="unknown_units"),
    path("unknown-units/<int:pk>/", views.resolve_unknown, name="resolve_unknown"),
]
