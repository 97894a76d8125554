"""One-time codes for in-person signing: sent to the signer's address, stored hashed, attempts limited."""

from django.db import transaction
from django.utils import timezone

from ..evidence import record_event
from ..models import ConsentEvent
from ..tasks import queue_message

OTP_MINUTES = 15


OTP_MAX_ATTEMPTS = 5  # per request, over every code sent for it; then the request is locked


def code_locked(request):
    """True once the request's code attempts are used up; only a new link from the editor unlocks it."""
    return request.otp_attempts >= OTP_MAX_ATTEMPTS


def _otp_hash(request_id, code):
    from ..models import hash_token

    return hash_token(f"{request_id}:{code}")


def send_code(request):
    """Email a one-time six-digit code for in-person signing; only its hash is stored."""
    import datetime
    import secrets

    from ..models import ConsentRequest

    if code_locked(request):
        return False  # attempts count per request: a new code never buys new guesses
    code = f"{secrets.randbelow(10**6):06d}"
    ConsentRequest.objects.filter(pk=request.pk).update(
        otp_hash=_otp_hash(request.pk, code),
        otp_expires_at=timezone.now() + datetime.timedelta(minutes=OTP_MINUTES),
    )
    queue_message(
        "consent/mail/code",
        {"code": code, "minutes": OTP_MINUTES},
        [request.signer_email],
        language=request.language,
        label=f"one-time code for consent request #{request.pk}",
    )
    record_event(ConsentEvent.Kind.CODE_SENT, request=request, actor="system")
    return True


def check_code(request_id, code):
    """True if ``code`` is the request's current one-time code; attempts are counted and limited."""
    from ..models import ConsentRequest

    code = (code or "").strip()
    with transaction.atomic():
        request = ConsentRequest.objects.select_for_update().get(pk=request_id)
        if not request.otp_hash or request.otp_expires_at is None or request.otp_expires_at < timezone.now():
            return False
        if code_locked(request):
            return False
        request.otp_attempts += 1
        request.save(update_fields=["otp_attempts"])
        right = len(code) <= 12 and _otp_hash(request.pk, code) == request.otp_hash
        if not right and code_locked(request):
            record_event(ConsentEvent.Kind.CODE_LOCKED, request=request, actor="signer")
        return right
