from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("", views.overdue, name="overdue"),
    path("deliveries/<int:pk>/remind/", views.remind, name="remind"),
]
