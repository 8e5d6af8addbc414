from django.apps import AppConfig


class OcrConfig(AppConfig):
    """Scans read by OCR (RapidOCR, optional: requirements-ocr.txt). Imports only core, vault, audit and Django,
    so intake, the registration form and the API can sit on top of it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ocr"
    verbose_name = "文字识别"

    def ready(self) -> None:
        from vault import registry

        from . import audit_display

        registry.register(registry.SealedFiles("ocr.OcrJob", "key_id", path=lambda j: j.scan_path, aad=lambda j: j.scan_aad))
        # The result exists once a job is done; sealed under the ring's key at that moment, rotated like the scan.
        registry.register(registry.SealedFiles("ocr.OcrJob", "key_id", path=lambda j: j.result_path, aad=lambda j: j.result_aad,
                                               where=(("state", "done"),)))
        audit_display.register()  # how the audit log names OCR jobs
