"""Read-only admin views: 批示 are append-only and written only through annotations.actions (which audits)."""
from django.contrib import admin

from .models import Annotation, ReadRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    # The text stays encrypted here: leaders read it on the telegram page.
    list_display = ("telegram", "author_name", "version", "superseded", "created_at")
    list_filter = ("superseded",)
    search_fields = ("telegram__receipt_no", "author_name")
    exclude = ("text_enc",)


@admin.register(ReadRequest)
class ReadRequestAdmin(ReadOnlyAdmin):
    list_display = ("telegram", "leader", "requested_by", "created_at", "done_at")
    search_fields = ("telegram__receipt_no",)
