"""The append-only, hash-chained evidence log of consent.

Every entry's hash covers its own fields and the previous entry's hash, so editing, deleting or
reordering a row breaks the chain, which ``manage.py verify_consent_log`` reports. Entries never
hold personal data in clear: ``personal`` details are reduced to a SHA-256 digest, so erasing the
person's data elsewhere leaves every entry, and the chain, intact.
"""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import ConsentChainHead, ConsentEvent

GENESIS_HASH = "0" * 64


def _canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def digest_personal(personal):
    """SHA-256 of personal details (e.g. IP address, user agent, names), or "" when there are none."""
    if not personal:
        return ""
    return hashlib.sha256(_canonical(personal).encode("utf-8")).hexdigest()


def entry_hash(event):
    """The hash an entry must have, from its own fields and its predecessor's hash."""
    payload = {
        "sequence": event.sequence,
        "created_at": event.created_at.isoformat(),
        "kind": event.kind,
        "story_id": event.story_id,
        "request_id": event.request_id,
        "consent_id": event.consent_id,
        "actor": event.actor,
        "data": event.data,
        "personal_digest": event.personal_digest,
        "previous_hash": event.previous_hash,
    }
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


def record_event(kind, *, story_id=None, request=None, consent=None, actor="", data=None, personal=None):
    """Append one entry to the evidence log and return it.

    ``actor`` says who acted without naming a person where possible (``"user:12"``, ``"signer"``,
    ``"system"``). ``data`` must be free of personal data; pass those details as ``personal``.
    """
    if story_id is None:
        story_id = (consent.story_id if consent is not None else None) or (
            request.story_id if request is not None else None
        )
    with transaction.atomic():
        head, _created = ConsentChainHead.objects.select_for_update().get_or_create(pk=1)
        event = ConsentEvent(
            sequence=head.last_sequence + 1,
            created_at=timezone.now(),
            kind=kind,
            story_id=story_id,
            request_id=request.pk if request is not None else (consent.request_id if consent is not None else None),
            consent_id=consent.pk if consent is not None else None,
            actor=actor or "",
            data=json.loads(_canonical(data or {})),
            personal_digest=digest_personal(personal),
            previous_hash=head.last_hash,
        )
        event.hash = entry_hash(event)
        ConsentEvent.objects.bulk_create([event])
        head.last_sequence = event.sequence
        head.last_hash = event.hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return event


def verify_chain(events=None):
    """Check the whole log; return ``None`` when intact, else a sentence about the first broken entry."""
    events = ConsentEvent.objects.order_by("sequence").iterator() if events is None else events
    expected_sequence = 1
    previous_hash = GENESIS_HASH
    last = None
    for event in events:
        if event.sequence != expected_sequence:
            return f"Entry #{expected_sequence} is missing (the next entry is #{event.sequence}): a row was deleted."
        if event.previous_hash != previous_hash:
            return f"Entry #{event.sequence} does not follow entry #{event.sequence - 1}: the chain was altered."
        if entry_hash(event) != event.hash:
            return f"Entry #{event.sequence} ({event.kind}) was changed after it was written."
        previous_hash = event.hash
        expected_sequence += 1
        last = event
    head = ConsentChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence != (last.sequence if last else 0):
        last_sequence = last.sequence if last else 0
        return f"The log ends at entry #{last_sequence} but #{head.last_sequence} was written: entries were deleted."
    return None
