"""Erasure of a person (GDPR Art. 17): withdraw everything they gave, blank their details, keep the proof."""

import logging

from django.db import models, transaction
from django.utils import timezone

from ..evidence import destroy_keys, record_event
from ..models import Consent, ConsentEvent
from .withdrawal import withdraw

logger = logging.getLogger(__name__)


def erase_person(person, *, actor):
    """Erase a person's personal data; withdraw every consent they gave everywhere (reason "erased").

    What stays: the consent and request rows with their dates, channels, hashes and reference
    codes (the fact of consent), and the evidence log, which only ever held digests of personal
    data, so ``verify_consent_log`` still passes. The requests' evidence keys are destroyed, so
    those digests can no longer be confirmed against a guess of who the person was.
    """
    from ..models import ConsentRequest

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
