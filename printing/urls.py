from django.urls import path

from . import views

app_name = "printing"
urlpatterns = [
    path("telegrams/<int:pk>/", views.slip, name="slip"),
    path("telegrams/<int:pk>/pdf/", views.slip_pdf, name="slip_pdf"),
    path("telegrams/<int:pk>/return-notice/", views.return_notice, name="return_notice"),
    path("telegrams/<int:pk>/return-notice/pdf/", views.return_notice_pdf, name="return_notice_pdf"),
    path("register/<str:fmt>/", views.register_export, name="register_export"),
    path("telegrams/<int:pk>/archive-package/", views.archive_package_download, name="archive_package"),
]
