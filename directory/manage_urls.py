from django.urls import path

from . import manage_views as views

app_name = "directory"
urlpatterns = [
    path("units/", views.units, name="units"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/import/", views.units_import, name="units_import"),
    path("units/<int:pk>/", views.unit_edit, name="unit_edit"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/second-factor/", views.person_reset_otp, name="person_reset_otp"),
]
