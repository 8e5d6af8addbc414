"""Every URL in the URLconf × every role, with real objects: the seed telegram delivered to unit A (自治区总工会),
its delivery, its scan and a leader's 批示. The expected answer of each cell is written down below; any difference
fails, and so does a URL pattern that has no row (add one when you add a URL) or a row whose URL is gone.

L means "302 to the login page". The REST API (/api/v1/) never redirects: 401 without credentials; its POSTs send
JSON (JSON_POST), the scans upload multipart. Staff of unit B asking for unit A's objects get 404 (an object out of scope looks
exactly like a missing one); a role asking for another role's page gets 403."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "clerk", "leader", "staff_a", "staff_b", "admin")
L = "L"
GET, POST = "get", "post"
JSON_POST = "post_json"

# URL arguments from the world (tests/security/conftest.py).
T: Callable[[dict], list] = lambda w: [w["telegram"].pk]  # noqa: E731
ARGS: dict[str, Callable[[dict], list]] = {
    "telegrams:detail": T, "telegrams:correct": T, "telegrams:void": T,
    "telegrams:scan": lambda w: [w["telegram"].pk, w["scan"].pk],
    "routing:sign": lambda w: [w["delivery"].pk], "telegrams:complete": lambda w: [w["delivery"].pk],
    "telegrams:review": T, "telegrams:return": T, "telegrams:reply": T,
    "routing:proxy_sign": lambda w: [w["delivery"].pk], "routing:hand_back": lambda w: [w["delivery"].pk],
    "routing:transfer": lambda w: [w["delivery"].pk], "routing:change_deadline": lambda w: [w["delivery"].pk],
    "reminders:remind": lambda w: [w["delivery"].pk], "routing:resolve_handback": lambda w: [w["handback"].pk],
    "routing:circulate": T, "routing:result_file": lambda w: [w["result_file"].pk],
    "annotations:propose": T, "annotations:approve": T, "annotations:circulate": T, "annotations:pass_on": T,
    "printing:return_notice": lambda w: [w["returned"].pk], "printing:return_notice_pdf": lambda w: [w["returned"].pk],
    "routing:resolve_unknown": lambda w: [w["unknown"].pk], "notifications:read": lambda w: [w["alert"].pk],
    "annotations:write": T, "annotations:correct": lambda w: [w["annotation"].pk],
    "audit:telegram": T,
    "printing:slip": T, "printing:slip_pdf": T, "printing:register_export": lambda w: ["csv"],
    "archive:archive": T, "archive:revoke": T, "printing:archive_package": T,
    **{name: (lambda w: [w["held"].uid]) for name in (
        "intake:scan_status", "intake:scan_prefill", "intake:scan_file", "intake:scan_set_aside")},
    "directory:unit_edit": lambda w: [w["delivery"].unit_id],
    "directory:person_edit": lambda w: [w["users"]["staff_a"].pk],
    "directory:person_reset_otp": lambda w: [w["users"]["staff_a"].pk],
    "telegrams:add_scans": T,
    "api:telegram_archive": T, "api:telegram_unarchive": T,
    "api:telegram": T, "api:telegram_void": T, "api:scans": T, "api:scan": lambda w: [w["telegram"].pk, w["scan"].pk],
    "api:annotations": T, "api:annotation_preview": T,
    "api:delivery": lambda w: [w["delivery"].pk], "api:delivery_sign": lambda w: [w["delivery"].pk],
    "api:delivery_done": lambda w: [w["delivery"].pk],
    "integrations:issue": lambda w: [w["account"].user_id], "integrations:revoke": lambda w: [w["token"].pk],
}

# Form posts carry empty data: the answer shows access, and nothing changes state except where the cell is a 302.
MATRIX: list[tuple] = [
    # URL name                   method  anonymous clerk leader staff_a staff_b admin
    ("home",                      GET,   L,        302,  302,   302,    302,    302),
    ("healthz",                   GET,   200,      200,  200,   200,    200,    200),
    ("login",                     GET,   200,      302,  302,   302,    302,    302),
    ("login",                     POST,  200,      302,  302,   302,    302,    302),
    ("logout",                    POST,  L,        L,    L,     L,      L,      L),
    ("logout",                    GET,   405,      405,  405,   405,    405,    405),
    ("password_change",           GET,   L,        200,  200,   200,    200,    200),
    ("otp_verify",                GET,   L,        302,  302,   302,    302,    302),
    ("otp_setup",                 GET,   L,        200,  200,   200,    200,    200),
    ("telegrams:register",        GET,   L,        200,  200,   403,    403,    200),
    ("telegrams:create",          GET,   L,        200,  403,   403,    403,    403),
    ("telegrams:create",          POST,  L,        200,  403,   403,    403,    403),
    ("telegrams:detail",          GET,   L,        200,  200,   200,    404,    200),
    ("telegrams:correct",         GET,   L,        200,  403,   403,    403,    403),
    ("telegrams:correct",         POST,  L,        200,  403,   403,    403,    403),
    ("telegrams:void",            POST,  L,        302,  403,   403,    403,    403),
    ("telegrams:void",            GET,   L,        405,  403,   403,    403,    403),
    ("telegrams:scan",            GET,   L,        200,  200,   200,    404,    200),
    ("telegrams:add_scans",       POST,  L,        302,  403,   403,    403,    403),
    ("telegrams:add_scans",       GET,   L,        405,  403,   403,    403,    403),
    ("routing:inbox",             GET,   L,        403,  403,   200,    200,    403),
    ("routing:sign",              POST,  L,        403,  403,   302,    404,    403),
    ("routing:sign",              GET,   L,        403,  403,   405,    405,    403),
    # 办结 page (moved to desk: it shows the 批示). The clerk's scope is units without staff (代登记): unit A has staff.
    ("telegrams:complete",        GET,   L,        404,  403,   200,    404,    403),
    ("telegrams:complete",        POST,  L,        404,  403,   200,    404,    403),
    # Issue 12: 初审, 退文, 答复 (clerk); a unit's 退回/转办; 代签收; re-routing a 退回; 阅件传阅; result attachments.
    ("telegrams:review",          POST,  L,        302,  403,   403,    403,    403),
    ("telegrams:review",          GET,   L,        405,  403,   403,    403,    403),
    ("telegrams:return",          GET,   L,        200,  403,   403,    403,    403),
    ("telegrams:return",          POST,  L,        200,  403,   403,    403,    403),
    ("telegrams:reply",           GET,   L,        200,  403,   403,    403,    403),
    ("telegrams:reply",           POST,  L,        200,  403,   403,    403,    403),
    ("routing:proxy_sign",        POST,  L,        404,  403,   403,    403,    403),
    ("routing:proxy_sign",        GET,   L,        405,  403,   403,    403,    403),
    ("routing:hand_back",         GET,   L,        403,  403,   200,    404,    403),
    ("routing:hand_back",         POST,  L,        403,  403,   200,    404,    403),
    ("routing:transfer",          GET,   L,        403,  403,   200,    404,    403),
    ("routing:transfer",          POST,  L,        403,  403,   200,    404,    403),
    ("routing:resolve_handback",  POST,  L,        302,  302,   403,    403,    403),
    ("routing:circulate",         POST,  L,        302,  403,   403,    403,    403),
    ("routing:result_file",       GET,   L,        200,  200,   200,    404,    200),
    ("annotations:propose",       GET,   L,        200,  403,   403,    403,    403),
    ("annotations:propose",       POST,  L,        200,  403,   403,    403,    403),
    ("annotations:approve",       POST,  L,        403,  302,   403,    403,    403),
    ("annotations:circulate",     POST,  L,        302,  302,   403,    403,    403),
    ("annotations:pass_on",       POST,  L,        403,  302,   403,    403,    403),
    ("printing:return_notice",    GET,   L,        200,  200,   403,    403,    200),
    ("printing:return_notice_pdf", GET,  L,        200,  200,   403,    403,    200),
    ("routing:history",           GET,   L,        403,  403,   403,    403,    200),
    ("routing:change_deadline",   POST,  L,        302,  403,   403,    403,    403),
    ("routing:change_deadline",   GET,   L,        405,  403,   403,    403,    403),
    ("reminders:overdue",         GET,   L,        200,  200,   403,    403,    200),
    ("reminders:remind",          POST,  L,        302,  403,   403,    403,    403),
    ("reminders:remind",          GET,   L,        405,  403,   403,    403,    403),
    ("routing:history_csv",       GET,   L,        403,  403,   403,    403,    200),
    ("routing:unknown_units",     GET,   L,        200,  403,   403,    403,    403),
    ("routing:resolve_unknown",   POST,  L,        302,  403,   403,    403,    403),
    ("annotations:inbox",         GET,   L,        403,  200,   403,    403,    403),
    ("annotations:write",         POST,  L,        403,  200,   403,    403,    403),
    ("annotations:write",         GET,   L,        403,  405,   403,    403,    403),
    ("annotations:correct",       POST,  L,        403,  200,   403,    403,    403),
    ("notifications:list",        GET,   L,        200,  200,   200,    200,    200),
    ("notifications:read_all",    POST,  L,        302,  302,   302,    302,    302),
    # The live poll: JSON, 401 (not a login page) once the session has ended.
    ("notifications:live",        GET,   401,      200,  200,   200,    200,    200),
    ("notifications:live",        POST,  405,      405,  405,   405,    405,    405),
    ("notifications:read",        POST,  L,        302,  302,   302,    302,    302),
    ("audit:log",                 GET,   L,        403,  403,   403,    403,    200),
    ("audit:csv",                 GET,   L,        403,  403,   403,    403,    200),
    ("audit:jsonl",               GET,   L,        403,  403,   403,    403,    200),
    ("audit:telegram",            GET,   L,        403,  403,   403,    403,    200),
    ("audit:verify",              GET,   L,        403,  403,   403,    403,    200),
    ("audit:verify",              POST,  L,        403,  403,   403,    403,    302),
    ("printing:slip",             GET,   L,        200,  200,   200,    404,    200),
    ("printing:slip_pdf",         GET,   L,        200,  200,   200,    404,    200),
    ("printing:register_export",  GET,   L,        200,  200,   403,    403,    200),
    # The desk's scans: clerks only. The held scan has no OCR job, so its prefill is 409 (nothing read).
    ("intake:scans",              GET,   L,        200,  403,   403,    403,    403),
    ("intake:upload",             POST,  L,        302,  403,   403,    403,    403),
    ("intake:upload",             GET,   L,        405,  403,   403,    403,    403),
    ("intake:scan_status",        GET,   L,        200,  403,   403,    403,    403),
    ("intake:scan_prefill",       GET,   L,        409,  403,   403,    403,    403),
    ("intake:scan_file",          GET,   L,        200,  403,   403,    403,    403),
    ("intake:scan_set_aside",     POST,  L,        302,  403,   403,    403,    403),
    ("intake:scan_set_aside",     GET,   L,        405,  403,   403,    403,    403),
    ("intake:parse",              POST,  L,        400,  403,   403,    403,    403),
    ("intake:preview",            GET,   L,        200,  403,   403,    403,    403),
    ("directory:units",           GET,   L,        403,  403,   403,    403,    200),
    ("directory:unit_create",     GET,   L,        403,  403,   403,    403,    200),
    ("directory:unit_create",     POST,  L,        403,  403,   403,    403,    200),
    ("directory:unit_edit",       GET,   L,        403,  403,   403,    403,    200),
    ("directory:unit_edit",       POST,  L,        403,  403,   403,    403,    200),
    ("directory:units_import",    GET,   L,        403,  403,   403,    403,    200),
    ("directory:units_import",    POST,  L,        403,  403,   403,    403,    200),
    ("directory:people",          GET,   L,        403,  403,   403,    403,    200),
    ("directory:person_create",   GET,   L,        403,  403,   403,    403,    200),
    ("directory:person_create",   POST,  L,        403,  403,   403,    403,    200),
    ("directory:person_edit",     GET,   L,        403,  403,   403,    403,    200),
    ("directory:person_edit",     POST,  L,        403,  403,   403,    403,    200),
    ("directory:person_reset_otp", POST, L,        403,  403,   403,    403,    302),
    ("directory:person_reset_otp", GET,  L,        403,  403,   403,    403,    405),
    ("stats:page",                GET,   L,        200,  200,   403,    403,    200),
    # 归档: the clerk archives (empty form: re-rendered or sent back with a message), the admin revokes and downloads;
    # the seed telegram is not archived, so a download sends clerk and admin back to its page with the reason.
    ("archive:page",              GET,   L,        200,  403,   403,    403,    200),
    ("archive:page",              POST,  L,        200,  403,   403,    403,    302),
    ("archive:archive",           POST,  L,        302,  403,   403,    403,    403),
    ("archive:revoke",            POST,  L,        403,  403,   403,    403,    302),
    ("printing:archive_package",  GET,   L,        302,  403,   403,    403,    302),
    ("stats:export",              GET,   L,        200,  200,   403,    403,    200),
    # The REST API: 401 without credentials (never the login page), roles as on the pages, another unit's 404.
    ("api:schema",                GET,   401,      200,  200,   200,    200,    200),
    ("api:docs",                  GET,   L,        200,  200,   200,    200,    200),
    ("api:telegrams",             GET,   401,      200,  200,   403,    403,    200),
    ("api:telegrams",             JSON_POST, 401,  400,  403,   403,    403,    403),
    ("api:telegram",              GET,   401,      200,  200,   200,    404,    200),
    ("api:telegram",              JSON_POST, 401,  405,  405,   405,    405,    405),
    ("api:telegram_void",         JSON_POST, 401,  400,  403,   403,    403,    403),
    ("api:telegram_void",         GET,   401,      405,  403,   403,    403,    403),
    ("api:telegram_archive",      JSON_POST, 401,  400,  403,   403,    403,    403),
    ("api:telegram_unarchive",    JSON_POST, 401,  403,  403,   403,    403,    400),
    ("api:scans",                 GET,   401,      200,  200,   200,    404,    200),
    ("api:scans",                 POST,  401,      400,  403,   403,    403,    403),
    ("api:scan",                  GET,   401,      200,  200,   200,    404,    200),
    ("api:annotations",           GET,   401,      200,  200,   200,    404,    200),
    ("api:annotations",           JSON_POST, 401,  403,  400,   403,    403,    403),
    ("api:annotation_preview",    JSON_POST, 401,  403,  400,   403,    403,    403),
    ("api:deliveries",            GET,   401,      403,  403,   200,    200,    403),
    ("api:delivery",              GET,   401,      403,  403,   200,    404,    403),
    ("api:delivery_sign",         GET,   401,      403,  403,   405,    405,    403),
    # 409: routing:sign above signed it already (the same action: already_signed).
    ("api:delivery_sign",         JSON_POST, 401,  403,  403,   409,    404,    403),
    ("api:delivery_done",         JSON_POST, 401,  403,  403,   400,    404,    403),
    # 接口账号 (admin): integration accounts and tokens.
    ("integrations:list",         GET,   L,        403,  403,   403,    403,    200),
    ("integrations:create_account", POST, L,       403,  403,   403,    403,    400),
    ("integrations:issue",        POST,  L,        403,  403,   403,    403,    200),
    ("integrations:revoke",       POST,  L,        403,  403,   403,    403,    302),
    ("integrations:revoke",       GET,   L,        403,  403,   403,    403,    405),
    # Django's admin (one row for all of it; only 管理员 are is_staff) and the static files.
    ("/admin/",                   GET,   L,        L,    L,     L,      L,      200),
    ("/static/css/app.css",       GET,   200,      200,  200,   200,    200,    200),
]
PATHS = {"/admin/", "/static/css/app.css"}


def url_names(patterns=None, namespace: str = "") -> list[str]:
    """Every named URL of the URLconf (namespaced), the admin site's own URLs left out (its row is /admin/)."""
    names = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin":
                continue
            ns = ":".join(part for part in (namespace, p.namespace) if part)
            names += url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            names.append(f"{namespace}:{p.name}" if namespace else (p.name or f"<unnamed {p.pattern}>"))
    return names


def test_every_url_has_a_row_and_every_row_a_url():
    in_urlconf = set(url_names())
    in_matrix = {row[0] for row in MATRIX} - PATHS
    assert not in_urlconf - in_matrix, f"URLs without a row in the access matrix: {sorted(in_urlconf - in_matrix)}"
    assert not in_matrix - in_urlconf, f"rows for URLs that no longer exist: {sorted(in_matrix - in_urlconf)}"
    assert all(len(row) == 2 + len(ROLES) for row in MATRIX)


def observed(response) -> int | str:
    if response.status_code == 302 and response["Location"].startswith((reverse("login"), "/admin/login/")):
        return L
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(procedure_world, role, settings):
    world = procedure_world
    settings.WHITENOISE_USE_FINDERS = True  # static files as `collectstatic` would have them, without running it
    user = world["users"].get(role)
    differences = []
    for name, method, *expected in MATRIX:
        url = name if name in PATHS else reverse(name, args=ARGS.get(name, lambda w: [])(world))
        client = client_for(user) if user else Client()  # a fresh session per cell: logout ends only its own
        if method == JSON_POST:
            response = client.post(url, {}, content_type="application/json")
        else:
            response = getattr(client, method)(url, {})
        got, want = observed(response), expected[ROLES.index(role)]
        if got != want:
            differences.append(f"{method.upper()} {url} ({name}) as {role}: expected {want}, got {got}")
    assert not differences, "\n".join(differences)


def test_matrix_size():
    urls = len(set(url_names())) + len(PATHS)
    print(f"access matrix: {urls} URLs ({len(MATRIX)} URL×method rows) × {len(ROLES)} roles = {len(MATRIX) * len(ROLES)} cells")
    assert urls >= 30
