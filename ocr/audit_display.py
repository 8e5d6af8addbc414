"""How the audit log names OCR jobs (audit.catalog; called from OcrConfig.ready)."""
from __future__ import annotations

from audit import catalog

from .models import OcrJob


def describe_jobs(ids: list[str]) -> dict[str, catalog.Shown]:
    rows = OcrJob.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]).values_list("pk", "filename")
    return {str(pk): catalog.Shown(filename) for pk, filename in rows}


def register() -> None:
    catalog.register_actions({
        "ocr.submitted": "提交文字识别", "ocr.started": "开始文字识别", "ocr.restarted": "重新开始文字识别",
        "ocr.done": "文字识别完成", "ocr.failed": "文字识别失败",
    })
    catalog.register_object("ocr.ocrjob", label="文字识别", describe=describe_jobs)
    catalog.register_fields({
        "filename": "文件名", "size": "大小（字节）", "content_type": "类型", "pages": "页数", "lines": "识别行数",
        "mean_confidence": "平均置信度", "seconds": "用时（秒）",
    }, object_types=["ocr.ocrjob"])
