"""接口账号 (admin): the accounts other systems use, every API token with its last use, issue and revoke. A new
token is shown once, on the page that answers its creation."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import ActionError
from core.mapping import add_to_form
from directory import roles
from directory.access import role_required

from . import actions
from .forms import IssueTokenForm, SystemAccountForm
from .models import ApiToken, SystemAccount


def _page(request, *, form=None, new_key: str = "", new_for=None, status: int = 200):
    tokens = ApiToken.objects.select_related("user__person", "created_by__person", "revoked_by__person")
    accounts = SystemAccount.objects.select_related("user__person__unit").prefetch_related("user__groups")
    return render(request, "api/integrations.html", {
        "form": form or SystemAccountForm(), "tokens": tokens, "accounts": accounts,
        "new_key": new_key, "new_for": new_for,
    }, status=status)


@never_cache
@role_required(roles.ADMIN)
def integrations(request):
    return _page(request)


@never_cache
@role_required(roles.ADMIN)
@require_POST
def create_account(request):
    form = SystemAccountForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            account, _, key = actions.create_system_account(
                username=c["username"], full_name=c["full_name"], role=c["role"], unit=c["unit"], purpose=c["purpose"],
                actor=request.user)
        except ActionError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"已创建接口账号 {account.user.username}。")
            return _page(request, new_key=key, new_for=account.user)
    return _page(request, form=form, status=400)


@never_cache
@role_required(roles.ADMIN)
@require_POST
def issue(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id, system_account__isnull=False)
    form = IssueTokenForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    try:
        _, key = actions.issue_token(user, actor=request.user, name=name or user.system_account.purpose[:100])
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("integrations:list")
    messages.success(request, f"已为 {user.username} 签发新令牌。")
    return _page(request, new_key=key, new_for=user)


@role_required(roles.ADMIN)
@require_POST
def revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id)
    try:
        actions.revoke_token(token, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"令牌 {token.prefix}… 已撤销，立即失效。")
    return redirect("integrations:list")
