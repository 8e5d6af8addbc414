"""/api/v1/: one line per endpoint. A procedure action (退文, 传阅, 催办, 归档, 答复) is one more small view class —
views.telegrams.TelegramAction on a telegram (as 作废 is), views.deliveries.DeliveryAction on a unit's delivery (as
签收 and 办结 are) — and one more line here."""
from django.urls import path

from .views import annotations, deliveries, docs, telegrams

app_name = "api"
urlpatterns = [
    path("schema/", docs.Schema.as_view(), name="schema"),
    path("docs/", docs.Docs.as_view(), name="docs"),
    path("telegrams/", telegrams.TelegramList.as_view(), name="telegrams"),
    path("telegrams/<int:pk>/", telegrams.TelegramDetail.as_view(), name="telegram"),
    path("telegrams/<int:pk>/void/", telegrams.TelegramVoid.as_view(), name="telegram_void"),
    path("telegrams/<int:pk>/archive/", telegrams.TelegramArchive.as_view(), name="telegram_archive"),
    path("telegrams/<int:pk>/unarchive/", telegrams.TelegramUnarchive.as_view(), name="telegram_unarchive"),
    path("telegrams/<int:pk>/scans/", telegrams.TelegramScans.as_view(), name="scans"),
    path("telegrams/<int:pk>/scans/<int:scan_id>/", telegrams.ScanDownload.as_view(), name="scan"),
    path("telegrams/<int:pk>/annotations/", annotations.Annotations.as_view(), name="annotations"),
    path("telegrams/<int:pk>/annotations/preview/", annotations.AnnotationPreview.as_view(), name="annotation_preview"),
    path("deliveries/", deliveries.DeliveryList.as_view(), name="deliveries"),
    path("deliveries/<int:pk>/", deliveries.DeliveryDetail.as_view(), name="delivery"),
    path("deliveries/<int:pk>/sign/", deliveries.DeliverySign.as_view(), name="delivery_sign"),
    path("deliveries/<int:pk>/done/", deliveries.DeliveryDone.as_view(), name="delivery_done"),
]
