from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.page, name="page"),
    path("export.xlsx", views.export_xlsx, name="export"),
]
