"""Alarms in Django admin (registered here, above the alarms app): raised by the system, read and cleared by an
administrator once handled; clearing is audited."""
from django.contrib import admin
from django.db import transaction
from django.utils import timezone

from alarms.models import Alarm

from .services import record


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ("kind", "message", "raised_at", "last_seen_at", "seen", "cleared_at")
    list_filter = ("kind", "cleared_at")
    readonly_fields = ("kind", "key", "message", "raised_at", "last_seen_at", "seen", "cleared_at")
    actions = ["clear_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="解除所选告警（问题已处理）")
    def clear_selected(self, request, queryset):
        with transaction.atomic():
            for alarm in queryset.filter(cleared_at__isnull=True).select_for_update():
                alarm.cleared_at = timezone.now()
                alarm.save(update_fields=["cleared_at"])
                record(request.user, "alarms.cleared", alarm, {"kind": alarm.kind, "key": alarm.key,
                                                              "message": alarm.message})
