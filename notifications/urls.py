from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("live/", views.live, name="live"),
    path("read/", views.mark_all_read, name="read_all"),
    path("<int:pk>/read/", views.mark_one_read, name="read"),
]
