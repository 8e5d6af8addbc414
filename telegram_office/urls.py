from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from . import views

admin.site.site_header = "明电收文管理系统"
admin.site.site_title = "明电收文管理系统"
admin.site.index_title = "机构与人员"
# One login page for everything (lockout, audit, second factor): the admin's own form sends people to ours.
admin.site.login = login_required(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("directory.urls")),
    path("directory/", include("directory.manage_urls")),
    path("telegrams/", include("desk.urls")),
    path("intake/", include("intake.urls")),
    path("alerts/", include("notifications.urls")),
    path("routing/", include("routing.urls")),
    path("overdue/", include("reminders.urls")),
    path("annotations/", include("annotations.urls")),
    path("audit/", include("auditlog.urls")),
    path("print/", include("printing.urls")),
    path("stats/", include("stats.urls")),
    path("archive/", include("archive.urls")),
    path("integrations/", include("api.page_urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]

# Under /api/ these answer a problem document (JSON), elsewhere the Chinese pages (never touching the database).
handler400 = "telegram_office.views.bad_request"
handler403 = "telegram_office.views.permission_denied"
handler404 = "telegram_office.views.page_not_found"
handler500 = "telegram_office.views.server_error"
