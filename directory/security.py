"""Login hardening outside the views: the lockout's audit entry, the second factor (TOTP + recovery codes) and
the rule for control characters in requests. Every change of a person's credentials writes an audit entry."""
from __future__ import annotations

import ipaddress
import re
from base64 import b32encode

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device

from audit.context import recorded_elsewhere

from . import roles
from .devices import Authenticator, RecoveryCodeSet
from .services import log_auth_event

TOTP_NAME = "身份验证器"
RECOVERY_NAME = "恢复码"

# C0 controls except tab, LF and CR, plus DEL: PostgreSQL refuses NUL in text, XML exports (xlsx) refuse the
# rest, and none of them belongs in a telegram's fields or a query.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def client_ip(request) -> str:
    return getattr(request, "axes_ip_address", None) or address_of(request)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks())


_networks_cache: dict[tuple, list] = {}


def _trusted_networks() -> list:
    key = tuple(settings.TRUSTED_PROXIES)
    if key not in _networks_cache:
        _networks_cache[key] = [ipaddress.ip_network(n.strip(), strict=False) for n in key if n.strip()]
    return _networks_cache[key]


def address_of(request) -> str:
    """The client's address for lockout and audit (AXES_CLIENT_IP_CALLABLE). Behind trusted proxies
    (TRUSTED_PROXIES: their addresses or networks) it is read from X-Forwarded-For, from the right, skipping the
    trusted hops — as nginx's real_ip_recursive does — so each client counts, not the proxy everyone shares, and a
    client cannot choose its address by sending its own X-Forwarded-For (only the hops our proxies appended are
    believed). A request not from a trusted proxy: REMOTE_ADDR, the header ignored."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES or not _trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a malformed hop: do not believe the header
    return hops[0] if hops else remote


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


# --- lockout (django-axes) -------------------------------------------------------------------------------------

def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes' `user_locked_out`. Axes sends it when the failure limit is reached and again for every
    attempt refused during the lockout (each of which restarts the 15 minutes); only the first is a new event —
    every refused attempt is already written as `auth.login_failed` (locked) by the login view."""
    failures = getattr(request, "axes_failures_since_start", None) if request is not None else None
    if failures is None or failures > settings.AXES_FAILURE_LIMIT:
        return
    log_auth_event("auth.locked_out", username=(username or "")[:150], ip=ip_address or "", data={
        "failures": failures, "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    })


# --- second factor ---------------------------------------------------------------------------------------------

def otp_required_by_role(user) -> bool:
    return bool(roles.roles_of(user) & set(settings.OTP_REQUIRED_ROLES))


def second_factor_step(user) -> str | None:
    """What a password-authenticated user must still do: "verify" (has a confirmed device), "setup" (their role
    requires a second factor and they have none yet), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_verified", None) and user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if otp_required_by_role(user):
        return "setup"
    return None


def pending_totp(user) -> Authenticator:
    """The unconfirmed authenticator being enrolled (one per user, reused until confirmed)."""
    return Authenticator.objects.get_or_create(user=user, confirmed=False, defaults={"name": TOTP_NAME})[0]


def totp_secret(device: Authenticator) -> str:
    """The key as authenticator apps want it typed in: base32, in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def qr_svg_data_uri(text: str) -> str:
    """The otpauth URI as a QR code, rendered here as SVG (no third-party service ever sees the secret)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


def normalize_token(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()[:32]


class Throttled(Exception):
    """Too many wrong codes in a row: django-otp's back-off is running."""


def _new_recovery_codes(user) -> list[str]:
    device, _ = RecoveryCodeSet.objects.get_or_create(user=user, defaults={"name": RECOVERY_NAME, "confirmed": True})
    return device.issue(settings.OTP_RECOVERY_CODES)


def confirm_enrolment(request, device: Authenticator, token: str) -> list[str] | None:
    """Confirm the authenticator if `token` is its current code: the device becomes active, the session counts as
    verified, and ten fresh single-use recovery codes are returned (to be shown once). None if the code is wrong;
    Throttled while the back-off after wrong codes runs."""
    user = request.user
    with transaction.atomic(), recorded_elsewhere():  # auth.otp_enrolled below says it all
        device = Authenticator.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if device is None:
            return None
        if not device.verify_is_allowed()[0]:
            raise Throttled()
        if not device.verify_token(normalize_token(token)):
            return None
        Authenticator.objects.filter(user=user).exclude(pk=device.pk).delete()  # first: one confirmed per person
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        log_auth_event("auth.otp_enrolled", user=user, ip=client_ip(request), data={"recovery_codes": len(codes)})
    otp_login(request, device)
    request.session.cycle_key()
    return codes


def regenerate_recovery_codes(request) -> list[str]:
    """New recovery codes (the old ones stop working); only from a session verified with the second factor."""
    with transaction.atomic(), recorded_elsewhere():
        codes = _new_recovery_codes(request.user)
        log_auth_event("auth.recovery_codes_regenerated", user=request.user, ip=client_ip(request),
                       data={"recovery_codes": len(codes)})
    return codes


def verify_second_factor(request, token: str) -> Device | None:
    """Check a 6-digit authenticator code or a recovery code against the user's own devices. On success the session
    is marked verified (and gets a new key); every attempt, right or wrong, is audited. Raises Throttled while the
    device's back-off after wrong codes is running."""
    user = request.user
    token = normalize_token(token)
    kind = Authenticator if token.isdigit() else RecoveryCodeSet
    candidates = list(kind.objects.devices_for_user(user, confirmed=True)) if token else []
    device = None
    throttled = bool(candidates) and all(not d.verify_is_allowed()[0] for d in candidates)
    if not throttled:
        for candidate in candidates:
            device = otp_verify_token(user, candidate.persistent_id, token)
            if device is not None:
                break
    if device is None:
        log_auth_event("auth.otp_failed", user=user, ip=client_ip(request),
                       data={"kind": "recovery" if kind is RecoveryCodeSet else "totp", "throttled": throttled})
        if throttled:
            raise Throttled()
        return None
    otp_login(request, device)
    request.session.cycle_key()
    if isinstance(device, RecoveryCodeSet):
        log_auth_event("auth.recovery_code_used", user=user, ip=client_ip(request),
                       data={"remaining": device.codes.count()})
    else:
        log_auth_event("auth.otp_verified", user=user, ip=client_ip(request))
    return device


def second_factor_status(user) -> dict:
    static = RecoveryCodeSet.objects.filter(user=user, confirmed=True).first()
    return {
        "enrolled": Authenticator.objects.filter(user=user, confirmed=True).exists(),
        "required": otp_required_by_role(user),
        "recovery_left": static.codes.count() if static else 0,
    }
