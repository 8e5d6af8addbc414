from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "来电接收"

    def ready(self) -> None:
        from vault import registry

        from . import audit_display

        audit_display.register()  # how the audit log names held scans and their actions

        # Only scans held without an OCR job have a file of their own (the others' file is the job's, listed by ocr).
        registry.register(registry.SealedFiles("intake.IntakeScan", "key_id", path=lambda s: s.own_path,
                                               aad=lambda s: s.aad, where=(("ocr_job__isnull", True),)))
