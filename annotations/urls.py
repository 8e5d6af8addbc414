from django.urls import path

from . import views

app_name = "annotations"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("telegram/<int:pk>/write/", views.write, name="write"),
    path("telegram/<int:pk>/propose/", views.propose, name="propose"),
    path("telegram/<int:pk>/approve/", views.approve, name="approve"),
    path("telegram/<int:pk>/circulate/", views.circulate, name="circulate"),
    path("telegram/<int:pk>/pass-on/", views.pass_on, name="pass_on"),
    path("<int:pk>/correct/", views.correct, name="correct"),
]
