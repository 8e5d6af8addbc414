"""机构与人员 for 管理员, in the app's own look: units (aliases as tags, parent, active, staff), people (account,
role, unit in one form), CSV import of units. Thin: forms validate, directory.services changes and audits."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import roles, services, snapshot
from .access import role_required
from .forms import PersonForm, UnitForm, UnitImportForm
from .models import Authenticator, RecoveryCodeSet, Unit

PAGE_SIZE = 50


@role_required(roles.ADMIN)
def units(request):
    q = request.GET.get("q", "").strip()
    staff = request.GET.get("staff", "")
    qs = Unit.objects.select_related("parent").annotate(staff_count=Count("people", distinct=True)).order_by("name")
    if q:  # matched in the in-memory directory: aliases are JSON, which SQLite stores \u-escaped
        qs = qs.filter(pk__in=[u.id for u in snapshot.current().units
                               if any(q.lower() in n.lower() for n in (u.name, u.short_name, *u.aliases))])
    if request.GET.get("active") in ("1", "0"):
        qs = qs.filter(active=request.GET["active"] == "1")
    if staff == "none":
        qs = qs.filter(staff_count=0)
    elif staff == "some":
        qs = qs.filter(staff_count__gt=0)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "directory/units.html", {"page": page, "query": query.urlencode(), "params": request.GET})


@role_required(roles.ADMIN)
def unit_create(request):
    return _unit_form(request, None)


@role_required(roles.ADMIN)
def unit_edit(request, pk: int):
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise Http404("单位不存在")
    return _unit_form(request, unit)


def _unit_form(request, unit: Unit | None):
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_unit(unit, form.cleaned_data, actor=request.user)
        except services.DirectoryError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已{'新增' if unit is None else '保存'}单位：{saved.name}")
            return redirect("directory:units")
    people = list(unit.people.select_related("user").order_by("full_name")) if unit else []
    return render(request, "directory/unit_form.html", {"form": form, "unit": unit, "people": people})


@role_required(roles.ADMIN)
def units_import(request):
    form = UnitImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 2 * 1024 * 1024:
                raise services.DirectoryError("文件超过 2 MB，请分批导入。")
            result = services.import_units_csv(services.decode_text(upload.read()), actor=request.user)
        except services.DirectoryError as exc:
            form.add_error("file", f"导入失败，未做任何修改：{exc.message}")
        else:
            messages.success(request, f"导入完成：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}。")
            return redirect("directory:units")
    return render(request, "directory/units_import.html", {"form": form})


@role_required(roles.ADMIN)
def people(request):
    User = get_user_model()
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    qs = (User.objects.select_related("person__unit").prefetch_related("groups")
          .annotate(has_totp=Exists(Authenticator.objects.filter(user=OuterRef("pk"), confirmed=True)))
          .order_by("person__unit__name", "person__full_name", "username"))
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(person__full_name__icontains=q) | Q(person__unit__name__icontains=q))
    if role in roles.ALL_ROLES:
        qs = qs.filter(groups__name=role)
    if request.GET.get("unit", "").isdigit():
        qs = qs.filter(person__unit_id=int(request.GET["unit"]))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for u in page:
        u.role_names = "、".join(sorted(g.name for g in u.groups.all()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "directory/people.html", {
        "page": page, "query": query.urlencode(), "params": request.GET, "roles": roles.ALL_ROLES,
    })


@role_required(roles.ADMIN)
def person_create(request):
    return _person_form(request, None)


@role_required(roles.ADMIN)
def person_edit(request, pk: int):
    return _person_form(request, _user_or_404(pk))


def _user_or_404(pk: int):
    user = get_user_model().objects.select_related("person__unit").filter(pk=pk).first()
    if user is None:
        raise Http404("用户不存在")
    return user


def _initial(user) -> dict:
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return {
        "username": user.username, "full_name": person.full_name if person else "", "role": roles.primary_role(user),
        "unit": person.unit_id if person else None, "title": person.title if person else "", "is_active": user.is_active,
    }


def _person_form(request, user):
    if user is not None:
        initial = _initial(user)
    else:  # "为本单位新增人员" from a unit's page
        unit = request.GET.get("unit", "")
        initial = {"unit": int(unit), "role": roles.STAFF} if unit.isdigit() else {}
    form = PersonForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.PersonData(full_name=d["full_name"].strip(), role=d["role"], unit=d["unit"],
                                   title=d["title"].strip(), is_active=d["is_active"], password=d["password"])
        try:
            saved = services.save_person(user, data, actor=request.user, username=d.get("username") or "")
        except services.DirectoryError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已{'新增' if user is None else '保存'}人员：{data.full_name}（{saved.username}）")
            return redirect("directory:people")
    second_factor = None
    if user is not None:
        second_factor = {
            "totp": Authenticator.objects.filter(user=user, confirmed=True).exists(),
            "devices": Authenticator.objects.filter(user=user).count() + RecoveryCodeSet.objects.filter(user=user).count(),
        }
    return render(request, "directory/person_form.html", {"form": form, "person_user": user, "second_factor": second_factor})


@role_required(roles.ADMIN)
@require_POST
def person_reset_otp(request, pk: int):
    user = _user_or_404(pk)
    try:
        removed = services.reset_second_factor(user, actor=request.user)
    except services.DirectoryError as exc:
        messages.error(request, exc.message)
        return redirect("directory:person_edit", pk=user.pk)
    if removed:
        messages.success(request, f"已删除 {user.username} 的身份验证器和恢复码；本人下次登录后可重新启用两步验证。")
    else:
        messages.success(request, f"{user.username} 没有启用两步验证，无需删除。")
    return redirect("directory:person_edit", pk=user.pk)
