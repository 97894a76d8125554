"""The append-only, hash-chained evidence log of consent.

Every entry's hash covers its own fields and the previous entry's hash, so editing, deleting or
reordering a row breaks the chain, which ``manage.py verify_consent_log`` reports. Entries never
hold personal data in clear: ``personal`` details are reduced to a keyed digest.

Digests (``ConsentEvent.personal_digest``) come in three schemes, told apart by their prefix, which
the entry hash covers like the rest of the stored string:

``hmac1:<hex>``
    HMAC-SHA256 of the canonical details under the entry's consent request's ``EvidenceKey`` (32
    random bytes, stored sealed with a key derived from ``SECRET_KEY``). Erasure deletes the key:
    afterwards nobody can confirm a guessed person against the digest, and the chain still verifies.
``hmacs1:<hex>``
    The same under a site key derived from ``SECRET_KEY``, for the rare entry with personal details
    but no consent request (nothing erasure could reach).
bare ``<hex>`` (64 characters)
    The unsalted SHA-256 written before migration 0005. Kept as written: rekeying it would change
    the chain, and the details it was made from are gone once a person is erased.
"""

import base64
import hashlib
import hmac
import json
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import ConsentChainHead, ConsentEvent, EvidenceKey

GENESIS_HASH = "0" * 64


def _canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


KEY_BYTES = 32
REQUEST_SCHEME = "hmac1:"
SITE_SCHEME = "hmacs1:"


def _secret_keys():
    """``SECRET_KEY`` first, then ``SECRET_KEY_FALLBACKS``, so a rotated secret still opens old keys."""
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _derive(label, secret):
    return hashlib.sha256(label + secret.encode("utf-8")).digest()


def _sealer():
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(_derive(b"vertel.consent.evidence-key:", key))) for key in _secret_keys()]
    )


def seal_key(raw):
    """An evidence key as stored: sealed, so a copy of the database alone does not hold it."""
    return _sealer().encrypt(raw).decode("ascii")


def unseal_key(sealed):
    return _sealer().decrypt(sealed.encode("ascii"))


def _site_keys():
    return [_derive(b"vertel.consent.evidence-digest:", key) for key in _secret_keys()]


def _hmac_hex(key, personal):
    return hmac.new(key, _canonical(personal).encode("utf-8"), hashlib.sha256).hexdigest()


def digest_personal(personal, key=None):
    """The keyed digest of personal details (IP address, user agent, names…), or "" when there are none.

    With ``key`` (a request's evidence key) the digest is ``hmac1:``; without, it is made with the
    site key (``hmacs1:``). Never the plain SHA-256, which anyone could recompute from a guess.
    """
    if not personal:
        return ""
    if key is None:
        return SITE_SCHEME + _hmac_hex(_site_keys()[0], personal)
    return REQUEST_SCHEME + _hmac_hex(key, personal)


def digest_scheme(digest):
    """``"hmac1"``, ``"hmacs1"``, ``"sha256"`` (written before keyed digests) or ``""`` (no details)."""
    if not digest:
        return ""
    if digest.startswith(REQUEST_SCHEME):
        return "hmac1"
    if digest.startswith(SITE_SCHEME):
        return "hmacs1"
    return "sha256"


def request_key(request_id, *, create=False):
    """The evidence key of a consent request (raw bytes), made on first use if ``create``; else ``None``."""
    if request_id is None:
        return None
    stored = EvidenceKey.objects.filter(request_id=request_id).values_list("sealed_key", flat=True).first()
    if stored is not None:
        return unseal_key(stored)
    if not create:
        return None
    raw = secrets.token_bytes(KEY_BYTES)
    EvidenceKey.objects.create(request_id=request_id, sealed_key=seal_key(raw))
    return raw


def destroy_keys(request_ids):
    """Delete the evidence keys of these requests (erasure); return how many there were."""
    deleted, _per_model = EvidenceKey.objects.filter(request_id__in=list(request_ids)).delete()
    return deleted


def personal_matches(event, personal):
    """Does ``event``'s digest come from these personal details? ``True``, ``False``, or ``None``.

    ``None`` means it can no longer be told: the request's key was destroyed by erasure (or sealed
    with a secret that is no longer configured). This is the officer's check that an entry belongs
    to a person; it works only while the person has not been erased.
    """
    digest = event.personal_digest
    if not digest or not personal:
        return not digest and not personal
    scheme = digest_scheme(digest)
    if scheme == "hmac1":
        try:
            key = request_key(event.request_id)
        except InvalidToken:  # sealed with a secret that is no longer configured
            return None
        if key is None:
            return None
        return hmac.compare_digest(digest, digest_personal(personal, key))
    if scheme == "hmacs1":
        expected = digest.removeprefix(SITE_SCHEME)
        return any(hmac.compare_digest(expected, _hmac_hex(key, personal)) for key in _site_keys())
    return hmac.compare_digest(digest, hashlib.sha256(_canonical(personal).encode("utf-8")).hexdigest())


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
    ``"system"``). ``data`` must be free of personal data; pass those details as ``personal``: they
    are stored only as a digest under the request's evidence key (made here on first use).
    """
    if story_id is None:
        story_id = (consent.story_id if consent is not None else None) or (
            request.story_id if request is not None else None
        )
    request_id = request.pk if request is not None else (consent.request_id if consent is not None else None)
    with transaction.atomic():
        head, _created = ConsentChainHead.objects.select_for_update().get_or_create(pk=1)
        key = request_key(request_id, create=True) if personal and request_id is not None else None
        event = ConsentEvent(
            sequence=head.last_sequence + 1,
            created_at=timezone.now(),
            kind=kind,
            story_id=story_id,
            request_id=request_id,
            consent_id=consent.pk if consent is not None else None,
            actor=actor or "",
            data=json.loads(_canonical(data or {})),
            personal_digest=digest_personal(personal, key),
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
