"""What happens to consent: withdrawal (by the signer, by expiry, by erasure).

Consent never imports channel or newsletter code: it records the evidence, takes the story off the
website when the website is no longer covered, and fires ``consent_withdrawn`` once the transaction
has committed; the channels and newsletter apps take it from there.
"""

import logging

from django.db import models, transaction
from django.utils import timezone

from .evidence import destroy_keys, record_event
from .models import Channel, Consent, ConsentEvent
from .signals import consent_withdrawn

logger = logging.getLogger(__name__)

REASON_EVENT = {
    "withdrawn": ConsentEvent.Kind.WITHDRAWN,
    "expired": ConsentEvent.Kind.EXPIRED,
    "erased": ConsentEvent.Kind.ERASED,
}


def withdraw(consent, channels=None, *, reason="withdrawn", actor="signer", ip=None, user_agent=""):
    """Withdraw ``channels`` (default: every channel still covered) from ``consent``; return the keys withdrawn.

    Takes effect at once: the evidence is recorded, the story is unpublished when the website is
    withdrawn (unless another active consent covers its live content), and ``consent_withdrawn``
    is sent after commit. Withdrawing what is already withdrawn changes nothing and sends nothing.
    """
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        still_active = consent.active_channels if consent.withdrawn_at is None else []
        wanted = still_active if channels is None else [key for key in channels if key in still_active]
        if not wanted:
            return []
        consent.withdrawn_channels = sorted(set(consent.withdrawn_channels) | set(wanted))
        update_fields = ["withdrawn_channels"]
        if not consent.active_channels or Channel.WEBSITE in wanted:
            # Without the website the story has no public address any more: nothing else can stand.
            consent.withdrawn_at = timezone.now()
            update_fields.append("withdrawn_at")
        if reason == "expired":
            consent.expired_at = consent.expired_at or timezone.now()
            update_fields.append("expired_at")
        consent.save(update_fields=update_fields)
        record_event(
            REASON_EVENT.get(reason, ConsentEvent.Kind.WITHDRAWN),
            consent=consent,
            actor=actor,
            data={"channels": wanted, "reason": reason, "complete": consent.withdrawn_at is not None},
            personal={"ip": ip, "user_agent": user_agent} if (ip or user_agent) else None,
        )
        if reason in CASCADING_REASONS and actor != CO_SIGNER:
            withdraw_co_consents(consent, wanted, reason=reason)
        unpublished = False
        if consent.withdrawn_at is not None:
            unpublished = take_off_website(consent)
        withdrawn_keys = list(consent.channels) if consent.withdrawn_at is not None else wanted
        # Robust, and every receiver is called even if one fails: a failing page-cache purge (or
        # any one receiver) must not keep the withdrawal from the channels and the newsletter.
        transaction.on_commit(lambda: announce_withdrawal(consent, withdrawn_keys, reason), robust=True)
    logger.info("Consent %s: %s withdrawn (%s); unpublished=%s", consent.reference, wanted, reason, unpublished)
    return wanted


# A withdrawal (or erasure) by any one signer takes the story off what they withdrew, whoever else
# signed for it: two parents, or a patient and a representative, each hold the right to say no
# (GDPR Art. 7(3)), and a story kept up on the other's signature would ignore that no.
CASCADING_REASONS = ("withdrawn", "erased")
CO_SIGNER = "co-signer"


def co_consents(consent):
    """The other active consents of the same story: another signer's, or the same signer's earlier ones."""
    return Consent.objects.active().filter(story_id=consent.story_id).exclude(pk=consent.pk).select_related("request")


def withdraw_co_consents(consent, channels, *, reason):
    """Withdraw ``channels`` from every other active consent of the story; return those consents."""
    touched = []
    for other in co_consents(consent):
        if withdraw(other, channels, reason=reason, actor=CO_SIGNER):
            touched.append(other)
    return touched


def other_language_consents(consent):
    """Active consents of the same person for the story's other language versions (its translations)."""
    story = consent.story
    if story is None:
        return Consent.objects.none()
    same_person = models.Q(pk__in=[])
    if consent.request.signer_email:
        same_person |= models.Q(request__signer_email__iexact=consent.request.signer_email)
    if consent.person_id:
        same_person |= models.Q(person_id=consent.person_id)
    return (
        Consent.objects.active()
        .filter(story__translation_key=story.translation_key)
        .exclude(story_id=story.pk)
        .filter(same_person)
        .select_related("story", "request")
    )


def announce_withdrawal(consent, channels, reason):
    """Send ``consent_withdrawn`` to every receiver; log (without personal data) the ones that fail."""
    for receiver, result in consent_withdrawn.send_robust(
        sender=Consent, consent=consent, channels=channels, reason=reason
    ):
        if isinstance(result, Exception):
            logger.error(
                "Consent %s: the consent_withdrawn receiver %s failed",
                consent.reference,
                getattr(receiver, "__qualname__", receiver),
                exc_info=result,
            )


def pages_showing(story, person_id=None):
    """Every live page that may show ``story``: the story, its aliases (of aliases too), and the
    patient stories of the same storyteller or translation: copies kept live, converted aliases,
    translations. Each is taken down below unless a consent of its own still covers it."""
    # The gated page model, without importing the stories app (it sits above consent).
    PatientStoryPage = Consent._meta.get_field("story").related_model  # noqa: N806

    pages = {}
    if story is not None:
        pages[story.pk] = story
        frontier = [story.pk]
        while frontier:
            aliases = list(PatientStoryPage.objects.filter(alias_of_id__in=frontier).exclude(pk__in=pages))
            pages.update({alias.pk: alias for alias in aliases})
            frontier = [alias.pk for alias in aliases]
    related = models.Q()
    if person_id is not None:
        related |= models.Q(storyteller_id=person_id)
    if story is not None:
        related |= models.Q(translation_key=story.translation_key)
        if story.storyteller_id:
            related |= models.Q(storyteller_id=story.storyteller_id)
    if related:
        for page in PatientStoryPage.objects.live().filter(related).exclude(pk__in=pages):
            pages[page.pk] = page
    return [page for page in pages.values() if page.live]


def take_off_website(consent):
    """Unpublish every page that shows the story, unless another active consent still covers it.

    The story itself, its aliases, and any live patient story of the same storyteller or
    translation that no consent covers now (a converted alias or a copy kept live before the gate
    caught those): after a withdrawal, nothing of the story may stay live without a signature.
    Returns True when anything was taken down.
    """
    from .gate import check_consent

    taken_down = False
    for page in pages_showing(consent.story, consent.person_id):
        page.refresh_from_db(fields=["live"])
        if not page.live:
            continue  # unpublished with its original a moment ago
        _covering, error = check_consent(page)
        if error is None:
            continue
        page.unpublish()
        taken_down = True
    return taken_down


def find_by_withdrawal_token(token):
    from .models import hash_token

    if not token or len(token) > 200:
        return None
    return Consent.objects.select_related("request", "story").filter(withdrawal_token_hash=hash_token(token)).first()


def age_of_own_consent():
    from django.conf import settings

    return settings.VERTEL["AGE_OF_OWN_CONSENT"]


def create_request(
    *,
    story,
    signer_name,
    signer_email,
    signer_role,
    language,
    proposed_channels,
    delivery,
    created_by,
    revision=None,
    person=None,
    previous_consent=None,
    task_state=None,
):
    """Create a request for one signer to consent to one revision; return it and the raw link token.

    The token exists only in the link we send; the database keeps its SHA-256. Earlier pending
    requests for the same story and signer are superseded, so only the newest link works.
    """
    import datetime

    from django.conf import settings

    from .content import content_manifest, hash_manifest
    from .models import ConsentRequest, hash_token, new_token

    revision = revision or story.get_latest_revision() or story.save_revision(user=created_by)
    manifest = content_manifest(revision.as_object())
    token = new_token()
    if task_state is None:
        current = story.current_workflow_task_state
        if current is not None and current.task.specific_class.__name__ == "ConsentTask":
            task_state = current
    with transaction.atomic():
        ConsentRequest.objects.filter(
            story=story, status=ConsentRequest.Status.PENDING, signer_email=signer_email or ""
        ).update(status=ConsentRequest.Status.SUPERSEDED)
        request = ConsentRequest.objects.create(
            story=story,
            story_title=story.title,
            revision=revision,
            content_hash=hash_manifest(manifest),
            content_manifest=manifest,
            person=person or story.storyteller,
            signer_name=signer_name,
            signer_email=signer_email or "",
            signer_role=signer_role,
            language=language,
            proposed_channels=list(proposed_channels),
            delivery=delivery,
            token_hash=hash_token(token),
            expires_at=timezone.now() + datetime.timedelta(days=settings.VERTEL["CONSENT_LINK_DAYS"]),
            task_state=task_state,
            previous_consent=previous_consent,
            created_by=created_by,
        )
        record_event(
            ConsentEvent.Kind.RECONSENT_REQUESTED if previous_consent else ConsentEvent.Kind.REQUESTED,
            request=request,
            actor=f"user:{created_by.pk}" if created_by else "system",
            data={"channels": list(proposed_channels), "role": signer_role, "delivery": delivery},
            personal={"name": signer_name, "email": signer_email},
        )
    return request, token


def signing_url(request, token):
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    with translation.override(request.language):
        return settings.BASE_URL + reverse("consent:sign", args=[token])


def send_request_email(request, token, *, resent=False):
    """Email the personal signing link to the signer (queued and retried while mail is down)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from .tasks import queue_mail

    with translation.override(request.language):
        body = render_to_string("consent/email/request.txt", {"request": request, "url": signing_url(request, token)})
        from django.utils.translation import gettext

        queue_mail(
            gettext("Would you like to share your story?"),
            body,
            [request.signer_email],
            label=f"consent request #{request.pk}",
        )
    request.sent_at = timezone.now()
    request.save(update_fields=["sent_at"])
    record_event(ConsentEvent.Kind.RESENT if resent else ConsentEvent.Kind.SENT, request=request, actor="system")


def sign(request_id, *, choices, ip=None, user_agent="", witnessed_by=None, verification=None):
    """Record the signature on a pending request; return ``(consent, withdrawal_token)``.

    The request row is locked, so a double submit creates one consent; the second gets ``None``.
    The content hash covers the revision as it will appear with the signer's naming choice.
    """
    import datetime

    from .content import content_manifest, hash_manifest
    from .models import ConsentRequest, ConsentText, hash_token, new_token
    from .signals import consent_signed

    with transaction.atomic():
        # Lock only the request row: PostgreSQL refuses FOR UPDATE across the nullable revision join.
        request = ConsentRequest.objects.select_for_update().get(pk=request_id)
        if not request.is_usable:
            return None, None
        shown = request.revision.as_object()
        shown.naming = choices["naming"]
        manifest = content_manifest(shown)
        text = ConsentText.objects.filter(language=request.language).order_by("-version").first()
        until = choices.get("valid_until")
        withdrawal_token = new_token()
        consent = Consent.objects.create(
            request=request,
            story_id=request.story_id,
            person=request.person,
            revision=request.revision,
            content_hash=hash_manifest(manifest),
            content_manifest=manifest,
            consent_text=text,
            consent_text_hash=text.sha256,
            channels=list(choices["channels"]),
            naming=choices["naming"],
            allow_photos=choices.get("allow_photos", False),
            allow_video=choices.get("allow_video", False),
            valid_until=(
                timezone.make_aware(datetime.datetime.combine(until, datetime.time(23, 59))) if until else None
            ),
            signer_typed_name=choices["typed_name"],
            signer_role=request.signer_role,
            signer_relation=choices.get("relation", ""),
            patient_birth_date=choices.get("patient_birth_date"),
            verification=verification
            or (Consent.Verification.IN_PERSON if witnessed_by else Consent.Verification.EMAIL_LINK),
            witnessed_by=witnessed_by,
            ip_address=ip,
            user_agent=(user_agent or "")[:500],
            withdrawal_token_hash=hash_token(withdrawal_token),
        )
        request.status = ConsentRequest.Status.SIGNED
        request.save(update_fields=["status"])
        record_event(
            ConsentEvent.Kind.SIGNED,
            request=request,
            consent=consent,
            actor="signer",
            data={
                "channels": consent.channels,
                "naming": consent.naming,
                "content_hash": consent.content_hash,
                "consent_text_version": text.version,
                "consent_text_hash": text.sha256,
                "revision_id": request.revision_id,
                "valid_until": consent.valid_until.isoformat() if consent.valid_until else None,
                "verification": consent.verification,
                "reference": consent.reference,
            },
            personal={"typed_name": consent.signer_typed_name, "ip": ip, "user_agent": consent.user_agent},
        )
        transaction.on_commit(lambda: consent_signed.send(sender=Consent, consent=consent))
    return consent, withdrawal_token


def active_consent_for(story, channel=None):
    """The newest active consent for ``story`` (covering ``channel`` if given), or ``None``."""
    consents = Consent.objects.active().filter(story=story).order_by("-signed_at")
    for consent in consents:
        if channel is None or consent.covers(channel):
            return consent
    return None


def resend(request, *, actor):
    """Send a pending request again with a new link; the old link stops working at once.

    Returns the new raw token (for in-person delivery the caller shows it once), or ``None`` when
    the request can no longer be signed.
    """
    import datetime

    from django.conf import settings

    from .models import ConsentRequest, hash_token, new_token

    with transaction.atomic():
        request = ConsentRequest.objects.select_for_update().get(pk=request.pk)
        if request.status not in (ConsentRequest.Status.PENDING, ConsentRequest.Status.EXPIRED):
            return None
        token = new_token()
        request.token_hash = hash_token(token)
        request.status = ConsentRequest.Status.PENDING
        request.expires_at = timezone.now() + datetime.timedelta(days=settings.VERTEL["CONSENT_LINK_DAYS"])
        # A new link is a fresh start for the one-time code too (the editor vouches for it).
        request.otp_hash, request.otp_expires_at, request.otp_attempts = "", None, 0
        request.save(
            update_fields=["token_hash", "status", "expires_at", "otp_hash", "otp_expires_at", "otp_attempts"]
        )
    if request.delivery == ConsentRequest.Delivery.EMAIL and request.signer_email:
        send_request_email(request, token, resent=True)
    else:
        record_event(ConsentEvent.Kind.RESENT, request=request, actor=actor)
    return token


def revoke(request, *, actor):
    """Revoke a pending request: its link stops working. Returns True if it was pending."""
    from .models import ConsentRequest

    with transaction.atomic():
        changed = ConsentRequest.objects.filter(pk=request.pk, status=ConsentRequest.Status.PENDING).update(
            status=ConsentRequest.Status.REVOKED
        )
        if changed:
            record_event(ConsentEvent.Kind.REVOKED, request=request, actor=actor)
    return bool(changed)


def erase_person(person, *, actor):
    """Erase a person's personal data; withdraw every consent they gave everywhere (reason "erased").

    What stays: the consent and request rows with their dates, channels, hashes and reference
    codes (the fact of consent), and the evidence log, which only ever held digests of personal
    data, so ``verify_consent_log`` still passes. The requests' evidence keys are destroyed, so
    those digests can no longer be confirmed against a guess of who the person was.
    """
    from .models import ConsentRequest

    now = timezone.now()
    consents = list(Consent.objects.filter(person=person))
    for consent in consents:
        if consent.withdrawn_at is None:
            withdraw(consent, reason="erased", actor=actor)
    with transaction.atomic():
        Consent.objects.filter(person=person).update(
            signer_typed_name="",
            signer_relation="",
            patient_birth_date=None,
            ip_address=None,
            user_agent="",
            # The manifest holds the story as shown, name included; its hash stays.
            content_manifest={"erased": True},
            erased_at=now,
        )
        requests = ConsentRequest.objects.filter(
            models.Q(person=person) | models.Q(pk__in=[consent.request_id for consent in consents])
        )
        request_ids = list(requests.values_list("pk", flat=True))
        requests.update(signer_name="", signer_email="", otp_hash="", content_manifest={"erased": True}, erased_at=now)
        anonymise_person(person)
        # Without its key no digest of the person's details in the log can be confirmed any more.
        keys_destroyed = destroy_keys(request_ids)
        record_event(
            ConsentEvent.Kind.ERASED,
            actor=actor,
            data={
                "person_id": person.pk,
                "consents": [consent.pk for consent in consents],
                "requests": sorted(request_ids),
                "evidence_keys_destroyed": keys_destroyed,
            },
        )
    logger.info("Person #%s erased by %s (%s consents)", person.pk, actor, len(consents))
    return consents


def anonymise_person(person):
    """Blank every personal field of the Person record, whatever fields it has."""
    from django.db import models as dj_models

    updates = {}
    for field in person._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.name in ("created_at", "updated_at", "erased_at"):
            continue
        if isinstance(field, (dj_models.CharField, dj_models.TextField)):
            updates[field.name] = "" if not field.unique else f"erased-{person.pk}"
            if field.name == "full_name":
                updates[field.name] = f"[erased #{person.pk}]"
        elif field.null:
            updates[field.name] = None
    if any(field.name == "erased_at" for field in person._meta.concrete_fields):
        updates["erased_at"] = timezone.now()
    type(person).objects.filter(pk=person.pk).update(**updates)


OTP_MINUTES = 15
OTP_MAX_ATTEMPTS = 5  # per request, over every code sent for it; then the request is locked


def code_locked(request):
    """True once the request's code attempts are used up; only a new link from the editor unlocks it."""
    return request.otp_attempts >= OTP_MAX_ATTEMPTS


def _otp_hash(request_id, code):
    from .models import hash_token

    return hash_token(f"{request_id}:{code}")


def send_code(request):
    """Email a one-time six-digit code for in-person signing; only its hash is stored."""
    import datetime
    import secrets

    from django.utils import translation
    from django.utils.translation import gettext

    from .models import ConsentRequest
    from .tasks import queue_mail

    if code_locked(request):
        return False  # attempts count per request: a new code never buys new guesses
    code = f"{secrets.randbelow(10**6):06d}"
    ConsentRequest.objects.filter(pk=request.pk).update(
        otp_hash=_otp_hash(request.pk, code),
        otp_expires_at=timezone.now() + datetime.timedelta(minutes=OTP_MINUTES),
    )
    with translation.override(request.language):
        queue_mail(
            gettext("Your code to sign"),
            gettext("Your one-time code is %(code)s. It works for %(minutes)s minutes.")
            % {"code": code, "minutes": OTP_MINUTES},
            [request.signer_email],
            label=f"one-time code for consent request #{request.pk}",
        )
    record_event(ConsentEvent.Kind.CODE_SENT, request=request, actor="system")
    return True


def check_code(request_id, code):
    """True if ``code`` is the request's current one-time code; attempts are counted and limited."""
    from .models import ConsentRequest

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
