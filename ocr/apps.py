from django.apps import AppConfig


class OcrConfig(AppConfig):
    """Scans read by OCR (RapidOCR, optional: requirements-ocr.txt). Imports only core, vault, audit and Django,
    so intake, the registration form and the API can sit on top of it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ocr"
    verbose_name = "文字识别"
