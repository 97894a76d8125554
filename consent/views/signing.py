"""The signing page reached by a personal link: the exact story, the consent text, the choices, the signature."""

import logging

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core import channel_keys

from ..hooks import channel_labels, post_previews
from ..notices import send_receipt
from ..receipt import receipt_rows
from ..services.codes import check_code, code_locked, send_code
from ..services.signing import sign
from .personal import client_ip, guess_refused, personal_page, rate_limited

logger = logging.getLogger(__name__)


LOCKED_MESSAGE = gettext_lazy(
    "Too many wrong codes: this link is locked to protect your story. Ask the care organisation that "
    "sent it to you for a new link; they can send one from their list of consent requests."
)


def _request_for_token(token):
    from ..models import ConsentRequest, hash_token

    if not token or len(token) > 200:
        return None
    return (
        ConsentRequest.objects.select_related("revision", "person", "previous_consent")
        .filter(token_hash=hash_token(token))
        .first()
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign_view(request, token):
    """The signing page: the exact story, the consent text, the signer's choices and signature."""
    from django.utils import timezone

    from ..content import FIELD_LABELS, changed_fields, content_manifest, shown_media
    from ..evidence import record_event
    from ..forms import SignForm
    from ..models import Consent, ConsentEvent, ConsentRequest, ConsentText

    consent_request = _request_for_token(token)
    if consent_request is None:
        if guess_refused(request, "sign"):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        return personal_page(request, "consent/link_invalid.html", {}, status=404)
    if rate_limited(request, "sign-link", token):
        return personal_page(request, "consent/rate_limited.html", {}, status=429)
    if consent_request.status == ConsentRequest.Status.SIGNED:
        return personal_page(request, "consent/already_signed.html", {}, status=410)
    if consent_request.status == ConsentRequest.Status.REVOKED:
        # The organisation took the request back: say so, rather than "expired or replaced".
        return personal_page(request, "consent/link_invalid.html", {"revoked": True}, status=410)
    if not consent_request.is_usable or consent_request.revision is None:
        return personal_page(request, "consent/link_invalid.html", {"expired": True}, status=410)
    if consent_request.opened_at is None:
        ConsentRequest.objects.filter(pk=consent_request.pk).update(opened_at=timezone.now())
        record_event(ConsentEvent.Kind.OPENED, request=consent_request, actor="signer")

    form = SignForm(request.POST if request.method == "POST" else None, consent_request=consent_request)
    story = consent_request.revision.as_object()
    naming = request.POST.get("naming") if request.method == "POST" else None
    if naming in dict(form.fields["naming"].choices):
        story.naming = naming
    witness = in_person_witness(request, consent_request)
    in_person = consent_request.delivery == ConsentRequest.Delivery.IN_PERSON
    by_code = in_person and witness is None and bool(consent_request.signer_email)
    code_sent = False
    if request.method == "POST" and by_code and request.POST.get("send_code"):
        code_sent = send_code(consent_request)
        # Keep what the signer chose so far, without showing "required" errors for the rest.
        form = SignForm(
            initial={
                key: request.POST.getlist(key) if key == "channels" else request.POST.get(key) for key in request.POST
            },
            consent_request=consent_request,
        )
    verification = None
    if request.method == "POST" and request.POST.get("sign") and form.is_valid() and in_person and witness is None:
        # A printed link proves nothing about who holds it: a code sent to the signer's email,
        # or a staff member witnessing on their own logged-in device, does.
        if by_code and check_code(consent_request.pk, request.POST.get("code", "")):
            verification = Consent.Verification.EMAIL_CODE
        elif by_code and code_locked(ConsentRequest.objects.get(pk=consent_request.pk)):
            form.add_error(None, LOCKED_MESSAGE)
        elif by_code:
            form.add_error(None, _("The code is wrong or expired. Ask for a new code."))
        else:
            form.add_error(
                None,
                _("This consent is signed in person: sign on the device of the staff member who is with you."),
            )
    if request.method == "POST" and request.POST.get("sign") and form.is_valid():
        consent, withdrawal_token = sign(
            consent_request.pk,
            choices=form.cleaned_data,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            witnessed_by=witness if in_person else None,
            verification=verification,
        )
        if consent is None:
            return personal_page(request, "consent/already_signed.html", {}, status=410)
        withdraw_url = settings.BASE_URL + f"/{consent_request.language}/consent/withdraw/{withdrawal_token}/"
        send_receipt(consent, withdraw_url)
        labels = channel_labels()
        return personal_page(
            request,
            "consent/receipt.html",
            # The same rows as the receipt e-mail and its PDF (``consent.receipt``).
            {
                "consent": consent,
                "withdraw_url": withdraw_url,
                "labels": labels,
                "rows": receipt_rows(consent, labels),
            },
        )
    if getattr(form, "birth_date_mismatch", False):
        # Logged as evidence (no date in it); the application log names only the request.
        record_event(
            ConsentEvent.Kind.SIGNATURE_REFUSED,
            request=consent_request,
            actor="signer",
            data={"reason": "birth_date_mismatch"},
        )
        logger.warning(
            "Signature refused on consent request #%s: date of birth differs from the record", consent_request.pk
        )
    changes = []
    if consent_request.previous_consent is not None:
        changes = [
            FIELD_LABELS[key]
            for key in changed_fields(consent_request.previous_consent.content_manifest, content_manifest(story))
        ]
    text = ConsentText.objects.filter(language=consent_request.language).order_by("-version").first()
    posts = planned_posts_by_channel(story, [key for key, _label in form.fields["channels"].choices])
    return personal_page(
        request,
        "consent/sign.html",
        {
            "form": form,
            "story": story,
            "consent_text": text,
            "consent_request": consent_request,
            "changes": changes,
            "witness": witness,
            "by_code": by_code,
            "code_sent": code_sent,
            "locked": by_code and code_locked(ConsentRequest.objects.get(pk=consent_request.pk)),
            "locked_message": LOCKED_MESSAGE,
            "channel_rows": [(checkbox, posts.get(checkbox.data["value"], [])) for checkbox in form["channels"]],
            "shows_media": shown_media(content_manifest(story)),
        },
    )


def planned_posts_by_channel(story, keys):
    """``{channel key: [post]}``: the story's planned social posts, each as its network will publish it.

    The signer sees them next to the channel they choose (all of them next to "our social media
    accounts"), so they know what each post will say and show. What a post says and shows is what
    the consent covers (``consent.content.planned_posts``); the app that sends it composes the
    preview (the link appended, or left to a link card) through ``consent.hooks.post_previews``.
    """
    from ..content import planned_posts

    shown = {}
    for preview in post_previews(story, planned_posts(story)):
        for key in (preview["channel"], channel_keys.SOCIAL):
            if key in keys:
                shown.setdefault(key, []).append(preview)
    return shown


def in_person_witness(request, consent_request):
    """The logged-in staff member who may witness this signature (can edit the story), or ``None``."""
    user = getattr(request, "user", None)
    story = consent_request.story
    if user is None or not user.is_authenticated or story is None:
        return None
    return user if story.permissions_for_user(user).can_edit() else None
