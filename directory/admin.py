from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from audit.admin_audit import AuditedAdmin

from .models import Person, Unit


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


# Second-factor devices: an admin removes a lost authenticator or spent recovery codes (the person enrols again).
# Keys and codes stay hidden (OTP_ADMIN_HIDE_SENSITIVE_DATA), nobody adds a device for someone else, and every
# change is audited.
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin  # noqa: E402
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from .otp_apps import HELP_TEXTS  # noqa: E402

admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)

# django-otp names its fieldsets in English: the same sections, in Chinese.
FIELDSET_NAMES = {"Identity": "设备", "Timestamps": "时间", "Configuration": "设置", "State": "状态", "Throttling": "输错限制"}


class ChineseOTPAdmin:
    search_help_text = "按用户名或电子邮箱搜索"

    def get_fieldsets(self, request, obj=None):
        return [(FIELDSET_NAMES.get(name, name), options) for name, options in super().get_fieldsets(request, obj)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Help texts reach the form (and the read-only view) here: set on the model they would change migrations.
        return super().get_form(request, obj, change, help_texts=HELP_TEXTS, **kwargs)

    def has_add_permission(self, request):
        return False


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(AuditedAdmin, ChineseOTPAdmin, TOTPDeviceAdmin):
    audit_prefix, audit_name = "auth", "totp_device"


@admin.register(StaticDevice)
class AuditedStaticDeviceAdmin(AuditedAdmin, ChineseOTPAdmin, StaticDeviceAdmin):
    audit_prefix, audit_name = "auth", "recovery_codes"
