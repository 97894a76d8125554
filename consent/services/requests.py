"""Consent requests: create one for a signer, send its personal link, send it again, revoke it."""

import logging

from django.db import transaction
from django.utils import timezone

from ..evidence import record_event
from ..models import ConsentEvent
from ..tasks import queue_message

logger = logging.getLogger(__name__)


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

    from ..content import content_manifest, hash_manifest
    from ..models import ConsentRequest, hash_token, new_token

    revision = revision or story.get_latest_revision() or story.save_revision(user=created_by)
    signed = revision.as_object()
    manifest = content_manifest(signed)
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
            # The storyteller of the revision the signer reads, not of the live row (issue 13).
            person=person or _storyteller_of(signed, story),
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


def _storyteller_of(signed, story):
    person_id = getattr(signed, "storyteller_id", None)
    if person_id is None:
        return None
    if person_id == story.storyteller_id:
        return story.storyteller
    from ..models import Consent

    return Consent._meta.get_field("person").related_model.objects.filter(pk=person_id).first()


def signing_url(request, token):
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    with translation.override(request.language):
        return settings.BASE_URL + reverse("consent:sign", args=[token])


def send_request_email(request, token, *, resent=False):
    """Email the personal signing link to the signer (queued and retried while mail is down)."""
    from django.utils import translation

    from ..receipt import local_datetime

    with translation.override(request.language):
        until = local_datetime(request.expires_at, "DATE_FORMAT")
    queue_message(
        "consent/mail/request",
        {"request": request, "url": signing_url(request, token), "title": request.story_title, "date": until},
        [request.signer_email],
        language=request.language,
        label=f"consent request #{request.pk}",
    )
    request.sent_at = timezone.now()
    request.save(update_fields=["sent_at"])
    record_event(ConsentEvent.Kind.RESENT if resent else ConsentEvent.Kind.SENT, request=request, actor="system")


def resend(request, *, actor):
    """Send a pending request again with a new link; the old link stops working at once.

    Returns the new raw token (for in-person delivery the caller shows it once), or ``None`` when
    the request can no longer be signed.
    """
    import datetime

    from django.conf import settings

    from ..models import ConsentRequest, hash_token, new_token

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
    from ..models import ConsentRequest

    with transaction.atomic():
        changed = ConsentRequest.objects.filter(pk=request.pk, status=ConsentRequest.Status.PENDING).update(
            status=ConsentRequest.Status.REVOKED
        )
        if changed:
            record_event(ConsentEvent.Kind.REVOKED, request=request, actor=actor)
    return bool(changed)
