from django.urls import path

from . import views

app_name = "telegrams"
urlpatterns = [
    path("", views.register_list, name="register"),
    path("new/", views.register_create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/void/", views.void, name="void"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/return/", views.return_telegram, name="return"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/scans/<int:scan_id>/", views.scan_download, name="scan"),
    path("<int:pk>/scans/add/", views.add_scans, name="add_scans"),
    path("deliveries/<int:pk>/done/", views.complete, name="complete"),
]
