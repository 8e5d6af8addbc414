from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from audit.admin_audit import AuditedAdmin

from .models import Authenticator, Person, RecoveryCodeSet, Unit


@admin.register(Unit)
class UnitAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_name = "unit"
    list_display = ("name", "short_name", "parent", "active")
    list_filter = ("active",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ("parent",)


@admin.register(Person)
class PersonAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_name = "person"
    list_display = ("full_name", "user", "unit", "title")
    search_fields = ("full_name", "user__username", "unit__name")
    autocomplete_fields = ("unit",)


# Users and role groups: the stock admins, with every change (and every role granted or taken) audited.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    audit_name, audit_m2m_action = "user", "directory.user_roles"


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    audit_name, audit_m2m_action = "role", "directory.role_permissions"


# Second-factor devices: an admin sees who has one and removes a lost authenticator or spent recovery codes (the
# person enrols again). There is nothing secret to hide: the key is sealed and the codes are hashes, and neither
# is a field here. Nobody adds or edits a device for someone else; every removal is audited.
class SecondFactorAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_prefix = "auth"
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__email", "user__person__full_name")
    search_help_text = "按用户名、电子邮箱或姓名搜索"
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count",
              "throttling_failure_timestamp")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Authenticator)
class AuthenticatorAdmin(SecondFactorAdmin):
    audit_name = "totp_device"
    fields = (*SecondFactorAdmin.fields, "step", "digits", "tolerance", "drift")
    readonly_fields = fields


@admin.register(RecoveryCodeSet)
class RecoveryCodeSetAdmin(SecondFactorAdmin):
    audit_name = "recovery_codes"
    list_display = (*SecondFactorAdmin.list_display, "codes_left")
    fields = (*SecondFactorAdmin.fields, "codes_left")
    readonly_fields = fields

    @admin.display(description="剩余恢复码")
    def codes_left(self, obj) -> int:
        return obj.codes.count()
