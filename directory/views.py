import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import security
from .forms import LoginForm, TokenForm
from .security import client_ip
from .services import log_auth_event


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # auth.login: a new session key, the old one is dead
        self.request.session["login_at"] = int(time.time())
        user = self.request.user
        step = security.second_factor_step(user)
        log_auth_event("auth.login", user=user, ip=client_ip(self.request),
                       data={"second_factor": "pending" if step else "none"})
        if step:
            target = reverse("otp_verify" if step == "verify" else "otp_setup")
            return redirect(f"{target}?{urlencode({'next': self.get_success_url()})}")
        return response

    def form_invalid(self, form):
        # `axes_locked_out`: this attempt hit (or reached) the lockout; the password was then not even checked.
        log_auth_event("auth.login_failed", username=self.request.POST.get("username", "")[:150],
                       ip=client_ip(self.request), data={"locked": bool(getattr(self.request, "axes_locked_out", False))})
        return super().form_invalid(form)


login_view = LoginView.as_view()


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        log_auth_event("auth.logout", user=request.user, ip=client_ip(request))
    auth.logout(request)  # flushes the session: the old key is dead
    return redirect("login")


def _next_url(request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


@never_cache
@login_required
def otp_verify(request):
    """The second step after the password: a 6-digit authenticator code or one of the recovery codes."""
    step = security.second_factor_step(request.user)
    if step is None:
        return redirect(_next_url(request))
    if step == "setup":
        return redirect(f"{reverse('otp_setup')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = security.verify_second_factor(request, form.cleaned_data["token"])
        except security.Throttled:
            form.add_error("token", "错误次数过多，请稍候片刻再输入验证码。")
        else:
            if device is not None:
                return redirect(_next_url(request))
            form.add_error("token", "验证码不正确或已使用过，请重新输入。")
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request, "")})


@never_cache
@login_required
def otp_setup(request):
    """Enrol an authenticator app (QR code / key), confirm it with a code, then show ten recovery codes once.
    An enrolled and verified user may generate new recovery codes here (the old ones stop working)."""
    status = security.second_factor_status(request.user)
    if status["enrolled"]:
        if security.second_factor_step(request.user) == "verify":
            return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        if request.method == "POST" and request.POST.get("action") == "recovery":
            codes = security.regenerate_recovery_codes(request)
            return render(request, "registration/otp_codes.html", {"codes": codes, "next": "/"})
        return render(request, "registration/otp_status.html", {"status": status})

    device = security.pending_totp(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = security.confirm_enrolment(request, device, form.cleaned_data["token"])
        except security.Throttled:
            form.add_error("token", "错误次数过多，请稍候片刻再输入验证码。")
        else:
            if codes is not None:
                messages.success(request, "两步验证已启用。")
                return render(request, "registration/otp_codes.html", {"codes": codes, "next": _next_url(request)})
            form.add_error("token", "验证码不正确，请核对手机时间后输入当前显示的6位数字。")
    uri = device.config_url
    return render(request, "registration/otp_setup.html", {
        "form": form, "secret": security.totp_secret(device), "uri": uri, "qr": security.qr_svg_data_uri(uri),
        "required": status["required"], "next": _next_url(request, ""),
        "issuer": settings.OTP_TOTP_ISSUER,
    })

