"""Public consent pages reached by a personal link: signing and withdrawal.

These pages are personal: never indexed, never cached, CSRF-protected, rate-limited, and they
show nothing about a story to someone without a valid link.
"""

import logging

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.ratelimit import client_address, over_limit

from .hooks import channel_choices, post_previews
from .models import Channel
from .services import co_consents, find_by_withdrawal_token, other_language_consents, withdraw
from .tasks import queue_mail

logger = logging.getLogger(__name__)

RATE_LIMIT = 30  # requests per link, and invented links per client address, per window
RATE_WINDOW = 600  # seconds


def client_ip(request):
    """The client's address, through the trusted proxies only (``VERTEL_TRUSTED_PROXIES``)."""
    return client_address(request)


def rate_limited(request, scope, token=None, when_unavailable=False):
    """Count hits per address, or per link when ``token`` is given (see website.ratelimit)."""
    who = token if token is not None else client_ip(request)
    return over_limit(scope, who, RATE_LIMIT, RATE_WINDOW, when_unavailable=when_unavailable)


def guess_refused(request, scope):
    """An invented link: limited per client address, and refused while the count cannot be kept.

    Only links that match nothing are counted per address, so junk from anyone behind the same
    proxy never refuses a valid link, whose own count only its holders can fill.
    """
    return rate_limited(request, scope, when_unavailable=True)


def personal_page(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: with no-referrer browsers post forms with "Origin: null", which
    # fails Django's CSRF origin check. Other sites still never see the address with its token.
    response["Referrer-Policy"] = "same-origin"
    return response


def channel_labels():
    return dict(channel_choices())


class WithdrawForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Withdraw only from"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave everything unticked to withdraw from every channel."),
    )

    all_versions = forms.BooleanField(
        label=gettext_lazy("Also withdraw my consent for the other language versions of this story"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, active_channels=(), other_versions=False, **kwargs):
        super().__init__(*args, **kwargs)
        labels = channel_labels()
        self.fields["channels"].choices = [(key, labels.get(key, key)) for key in active_channels]
        if not other_versions:
            del self.fields["all_versions"]


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw_view(request, token):
    consent = find_by_withdrawal_token(token)
    if consent is None:
        if guess_refused(request, "withdraw"):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        return personal_page(request, "consent/link_invalid.html", {}, status=404)
    # A valid link's withdrawal is never refused by a limit; only viewing it over and over is.
    if request.method != "POST" and rate_limited(request, "withdraw-link", token):
        return personal_page(request, "consent/rate_limited.html", {}, status=429)
    active = consent.active_channels if consent.withdrawn_at is None else []
    if not active:
        return personal_page(request, "consent/withdraw_done.html", {"consent": consent, "already": True})
    other_versions = list(other_language_consents(consent))
    co_signed = co_consents(consent).exclude(request__signer_email__iexact=consent.request.signer_email).exists()
    form = WithdrawForm(
        request.POST if request.method == "POST" else None,
        active_channels=active,
        other_versions=bool(other_versions),
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["channels"] or None
        evidence = {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500]}
        co_signers = [other for other in co_consents(consent) if other.request.signer_email]
        withdrawn = withdraw(consent, chosen, reason="withdrawn", actor="signer", **evidence)
        consent.refresh_from_db()
        notify_withdrawal(consent, withdrawn)
        notify_co_signers(consent, co_signers)
        versions_withdrawn = []
        if form.cleaned_data.get("all_versions"):
            for other in other_versions:
                # Every channel of the other version: "my story in every language" is one no.
                keys = withdraw(other, None, reason="withdrawn", actor="signer", **evidence)
                if keys:
                    other.refresh_from_db()
                    notify_withdrawal(other, keys)
                    versions_withdrawn.append(other)
        labels = channel_labels()
        return personal_page(
            request,
            "consent/withdraw_done.html",
            {
                "consent": consent,
                "withdrawn": [labels.get(key, key) for key in withdrawn],
                "versions_withdrawn": versions_withdrawn,
            },
        )
    labels = channel_labels()
    return personal_page(
        request,
        "consent/withdraw.html",
        {
            "consent": consent,
            "form": form,
            "active": [labels.get(key, key) for key in active],
            "other_versions": other_versions,
            "co_signed": co_signed,
        },
    )


def notify_co_signers(consent, co_signers):
    """Tell every other signer of the story that it came down because someone else withdrew."""
    for other in co_signers:
        if other.request.signer_email.lower() == consent.request.signer_email.lower():
            continue  # the same person's earlier consent: their own confirmation says it all
        with translation.override(other.request.language or translation.get_language()):
            queue_mail(
                _("A story you gave consent for has been taken down"),
                _(
                    "Another person who signed for the story with your consent (reference %(reference)s) has "
                    "withdrawn their consent. We have therefore taken the story off the same channels for you "
                    "too. If you would like it published again, the care organisation will ask everyone who "
                    "signed for a new signature.\n\nThis never affects your care."
                )
                % {"reference": other.reference},
                [other.request.signer_email],
                label=f"co-signer notice #{other.pk}",
            )


def notify_withdrawal(consent, withdrawn):
    """Tell the signer (their confirmation), the editor who asked, and the consent officer."""
    request = consent.request
    labels = channel_labels()
    channels_text = ", ".join(str(labels.get(key, key)) for key in withdrawn)
    language = request.language or translation.get_language()
    with translation.override(language):
        if request.signer_email:
            queue_mail(
                _("Your consent has been withdrawn"),
                _(
                    "We have received your withdrawal (reference %(reference)s) for: %(channels)s.\n\n"
                    "The story has been taken off these channels. Emails that were already sent and copies "
                    "that others made cannot be recalled.\n\nWithdrawing never affects your care."
                )
                % {"reference": consent.reference, "channels": channels_text},
                [request.signer_email],
                label=f"withdrawal confirmation #{consent.pk}",
            )
    for address, language in _staff_recipients(request):
        with translation.override(language):
            queue_mail(
                *_staff_withdrawal_notice(consent, withdrawn, labels),
                [address],
                label=f"withdrawal notice #{consent.pk}",
            )


def _staff_recipients(request):
    """The editor who asked (in their admin language) and the consent officer (the site's language)."""
    recipients = {}
    officer = settings.VERTEL["CONSENT_OFFICER_EMAIL"]
    if officer:
        recipients[officer] = settings.LANGUAGE_CODE
    editor = request.created_by
    if editor is not None and editor.email:
        profile = getattr(editor, "wagtail_userprofile", None)
        preferred = profile.get_preferred_language() if profile else settings.LANGUAGE_CODE
        recipients[editor.email] = preferred or settings.LANGUAGE_CODE
    return sorted(recipients.items())


def _staff_withdrawal_notice(consent, withdrawn, labels):
    """Subject and body of the notice to staff: the story by its title, the channels in words, a link."""
    from django.urls import reverse

    story = consent.story
    title = story.title if story is not None else _("(story deleted)")
    channels_text = ", ".join(str(labels.get(key, key)) for key in withdrawn)
    link = (
        settings.WAGTAILADMIN_BASE_URL + reverse("wagtailadmin_pages:edit", args=[consent.story_id]) if story else ""
    )
    subject = _("Consent withdrawn: %(title)s") % {"title": title}
    body = _(
        "The consent with reference %(reference)s for the story “%(title)s” was withdrawn for: "
        "%(channels)s.\n\nThe story was taken off these channels. Nothing needs to be done unless the "
        "evidence log reports a removal that failed.\n\n%(link)s"
    ) % {"reference": consent.reference, "title": title, "channels": channels_text, "link": link}
    return subject, body.rstrip()


# Signing -------------------------------------------------------------------------------------

LOCKED_MESSAGE = gettext_lazy(
    "Too many wrong codes: this link is locked to protect your story. Ask the care organisation that "
    "sent it to you for a new link; they can send one from their list of consent requests."
)


def _request_for_token(token):
    from .models import ConsentRequest, hash_token

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

    from .content import FIELD_LABELS, changed_fields, content_manifest, shown_media
    from .evidence import record_event
    from .forms import SignForm
    from .models import Consent, ConsentEvent, ConsentRequest, ConsentText
    from .services import code_locked, sign

    consent_request = _request_for_token(token)
    if consent_request is None:
        if guess_refused(request, "sign"):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        return personal_page(request, "consent/link_invalid.html", {}, status=404)
    if rate_limited(request, "sign-link", token):
        return personal_page(request, "consent/rate_limited.html", {}, status=429)
    if consent_request.status == ConsentRequest.Status.SIGNED:
        return personal_page(request, "consent/already_signed.html", {}, status=410)
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
        from .services import send_code

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
        from .services import check_code

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
        return personal_page(
            request,
            "consent/receipt.html",
            {"consent": consent, "withdraw_url": withdraw_url, "labels": channel_labels()},
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


class LostLinkForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("The email address you signed with"), max_length=254)


@never_cache
@require_http_methods(["GET", "POST"])
def lost_withdrawal_link_view(request):
    """ "Lost your withdrawal link?": a fresh link for every active consent, sent to the address on file.

    The answer is the same whether or not the address is known, so the page reveals nothing; only the
    mailbox on file receives a link. The old link stops working, as it may be what was lost.
    """
    from .models import Consent, hash_token, new_token

    form = LostLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if rate_limited(request, "withdraw-lost", when_unavailable=True) or over_limit(
            "withdraw-lost-mail", email, 3, 3600, when_unavailable=True
        ):
            return personal_page(request, "consent/rate_limited.html", {}, status=429)
        for consent in Consent.objects.active().select_related("request").filter(request__signer_email__iexact=email):
            token = new_token()
            Consent.objects.filter(pk=consent.pk).update(withdrawal_token_hash=hash_token(token))
            language = consent.request.language or translation.get_language()
            with translation.override(language):
                url = settings.BASE_URL + f"/{language}/consent/withdraw/{token}/"
                queue_mail(
                    _("Your new link to withdraw your consent"),
                    _(
                        "You asked for a new link to withdraw your consent (reference %(reference)s):\n\n%(url)s\n\n"
                        "Earlier withdrawal links no longer work. Withdrawing never affects your care. If you did "
                        "not ask for this, you can ignore this email."
                    )
                    % {"reference": consent.reference, "url": url},
                    [consent.request.signer_email],
                    label=f"new withdrawal link #{consent.pk}",
                )
            logger.info("New withdrawal link queued for consent #%s", consent.pk)
        return personal_page(request, "consent/withdraw_lost.html", {"sent": True})
    return personal_page(request, "consent/withdraw_lost.html", {"form": form})


def planned_posts_by_channel(story, channel_keys):
    """``{channel key: [post]}``: the story's planned social posts, each as its network will publish it.

    The signer sees them next to the channel they choose (all of them next to "our social media
    accounts"), so they know what each post will say and show. What a post says and shows is what
    the consent covers (``consent.content.planned_posts``); the app that sends it composes the
    preview (the link appended, or left to a link card) through ``consent.hooks.post_previews``.
    """
    from .content import planned_posts

    shown = {}
    for preview in post_previews(story, planned_posts(story)):
        for key in (preview["channel"], Channel.SOCIAL):
            if key in channel_keys:
                shown.setdefault(key, []).append(preview)
    return shown


def in_person_witness(request, consent_request):
    """The logged-in staff member who may witness this signature (can edit the story), or ``None``."""
    user = getattr(request, "user", None)
    story = consent_request.story
    if user is None or not user.is_authenticated or story is None:
        return None
    return user if story.permissions_for_user(user).can_edit() else None


def send_receipt(consent, withdraw_url):
    """Email the signer what they agreed to, with the hashes and their withdrawal link."""
    from django.template.loader import render_to_string

    request = consent.request
    if not request.signer_email:
        return
    with translation.override(request.language):
        body = render_to_string(
            "consent/email/receipt.txt",
            {"consent": consent, "withdraw_url": withdraw_url, "labels": channel_labels()},
        )
        from django.core.mail import EmailMessage

        from .receipt_pdf import receipt_pdf
        from .tasks import queue_mail

        message = EmailMessage(
            _("Your consent: receipt %(reference)s") % {"reference": consent.reference},
            body,
            None,
            [request.signer_email],
        )
        try:
            pdf = receipt_pdf(consent, channel_labels(), withdraw_url)
        except Exception:  # noqa: BLE001 - the consent is recorded; the email must still go out
            logger.exception("Receipt PDF for consent #%s could not be made", consent.pk)
            pdf = None
        attachments = [(f"consent-{consent.reference}.pdf", pdf, "application/pdf")] if pdf else []
        # Queued, retried: the receipt page is shown whatever the mail server does.
        queue_mail(
            message.subject, message.body, message.to, label=f"consent receipt #{consent.pk}", attachments=attachments
        )
