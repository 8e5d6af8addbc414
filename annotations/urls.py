from django.urls import path

from . import views

app_name = "annotations"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("telegram/<int:pk>/write/", views.write, name="write"),
    path("<int:pk>/correct/", views.correct, name="correct"),
]
