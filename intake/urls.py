from django.urls import path

from . import views

app_name = "intake"
urlpatterns = [
    path("scans/", views.scans, name="scans"),
    path("scans/upload/", views.upload, name="upload"),
    path("scans/<uuid:uid>/status/", views.scan_status, name="scan_status"),
    path("scans/<uuid:uid>/prefill/", views.scan_prefill, name="scan_prefill"),
    path("scans/<uuid:uid>/file/", views.scan_file, name="scan_file"),
    path("scans/<uuid:uid>/set-aside/", views.set_aside, name="scan_set_aside"),
    path("parse/", views.parse, name="parse"),
    path("preview/", views.preview, name="preview"),
]
