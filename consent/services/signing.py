"""The signature: record a consent on a pending request, exactly once."""

from django.db import transaction
from django.utils import timezone

from ..evidence import record_event
from ..models import Consent, ConsentEvent


def sign(request_id, *, choices, ip=None, user_agent="", witnessed_by=None, verification=None):
    """Record the signature on a pending request; return ``(consent, withdrawal_token)``.

    The request row is locked, so a double submit creates one consent; the second gets ``None``.
    The content hash covers the revision as it will appear with the signer's naming choice.
    """
    import datetime

    from ..content import content_manifest, hash_manifest
    from ..models import ConsentRequest, ConsentText, hash_token, new_token
    from ..signals import consent_signed

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
