from django.urls import path

from . import views

app_name = "archive"
urlpatterns = [
    path("", views.page, name="page"),
    path("telegrams/<int:pk>/", views.archive_one, name="archive"),
    path("telegrams/<int:pk>/revoke/", views.revoke, name="revoke"),
]
