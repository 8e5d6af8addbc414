from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "机构与人员"

    def ready(self):
        # django-axes reports a lockout only through its signal; it goes to the audit chain (directory.security).
        from axes.signals import user_locked_out

        from .security import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="directory.record_lockout")
        # Credentials, roles, permissions and second-factor devices: audited however they change.
        from .credentials import connect

        connect()

        from . import audit_display

        audit_display.register()  # how the audit log names units, people and accounts

        # An authenticator's key is sealed with the data keys: rotate_keys re-seals it with the rest.
        from vault import registry

        registry.register(registry.SealedField("directory.Authenticator", "key_enc", aad=lambda d: d.aad))
