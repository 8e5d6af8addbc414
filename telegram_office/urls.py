from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "明电收文管理系统"
admin.site.site_title = "明电收文管理系统"
admin.site.index_title = "机构与人员"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("directory.urls")),
    path("telegrams/", include("telegrams.urls")),
    path("routing/", include("routing.urls")),
    path("annotations/", include("annotations.urls")),
    path("audit/", include("audit.urls")),
    path("print/", include("printing.urls")),
    path("admin/", admin.site.urls),
]
