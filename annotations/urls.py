from django.urls import path

from . import views

app_name = "annotations"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
]
