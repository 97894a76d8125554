"""Keyed evidence digests (issue 11, point 13).

The evidence log's digests of personal details are HMAC-SHA256 under a secret key of the consent
request, not a plain SHA-256 anyone could recompute from a guess. Erasure destroys the key: the
digests can no longer be tied to the person, yet the chain verifies and the erasure is on record.
"""

import hashlib
import hmac
import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from consent.evidence import (
    digest_personal,
    digest_scheme,
    personal_matches,
    record_event,
    unseal_key,
    verify_chain,
)
from consent.models import ConsentEvent, ConsentRequest, EvidenceKey
from consent.services import create_request, erase_person, withdraw
from stories.models import Person

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

ANNA = {"name": "Anna de Vries", "email": "anna@example.org"}


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)


def plain_sha256(value):
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def hmac_hex(key, value):
    return hmac.new(key, canonical(value).encode("utf-8"), hashlib.sha256).hexdigest()


def ask(story, editor, **fields):
    fields = {"signer_name": ANNA["name"], "signer_email": ANNA["email"], **fields}
    consent_request, _token = create_request(
        story=story,
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
        **fields,
    )
    return consent_request


def requested_event(consent_request):
    return ConsentEvent.objects.get(request_id=consent_request.pk, kind=ConsentEvent.Kind.REQUESTED)


def test_a_known_persons_digest_is_not_the_plain_sha256_of_their_details(make_patient_story, editor):
    consent_request = ask(make_patient_story(), editor)
    event = requested_event(consent_request)
    assert event.personal_digest.startswith("hmac1:") and digest_scheme(event.personal_digest) == "hmac1"
    assert plain_sha256(ANNA) not in event.personal_digest
    assert "Anna" not in event.personal_digest and "anna@" not in event.personal_digest
    # It is the HMAC under the request's own key, and the key is stored sealed, never in clear.
    stored = EvidenceKey.objects.get(request_id=consent_request.pk)
    key = unseal_key(stored.sealed_key)
    assert len(key) == 32 and key.hex() not in stored.sealed_key
    assert event.personal_digest == "hmac1:" + hmac_hex(key, ANNA)
    # While the key exists the officer can still tell whether an entry belongs to a person.
    assert personal_matches(event, ANNA) is True
    assert personal_matches(event, {**ANNA, "name": "Anne de Vries"}) is False


def test_two_people_of_the_same_name_in_two_requests_get_different_digests(make_patient_story, editor):
    first = requested_event(ask(make_patient_story(), editor))
    second = requested_event(ask(make_patient_story(), editor))
    assert first.request_id != second.request_id
    assert first.personal_digest and second.personal_digest
    assert first.personal_digest != second.personal_digest
    assert EvidenceKey.objects.filter(request_id__in=[first.request_id, second.request_id]).count() == 2


def test_an_entry_without_a_request_is_keyed_with_the_site_key_not_plain_sha256():
    event = record_event(ConsentEvent.Kind.SIGNED, story_id=1, actor="signer", personal={"ip": "192.0.2.1"})
    assert digest_scheme(event.personal_digest) == "hmacs1"
    assert plain_sha256({"ip": "192.0.2.1"}) not in event.personal_digest
    assert event.personal_digest == digest_personal({"ip": "192.0.2.1"})
    assert personal_matches(event, {"ip": "192.0.2.1"}) is True
    assert personal_matches(event, {"ip": "192.0.2.2"}) is False


def test_old_unsalted_digests_stay_recognisable_and_checkable():
    legacy = ConsentEvent(personal_digest=plain_sha256(ANNA), request_id=None)
    assert digest_scheme(legacy.personal_digest) == "sha256"
    assert personal_matches(legacy, ANNA) is True
    assert personal_matches(legacy, {**ANNA, "email": "someone@example.org"}) is False


def test_a_rotated_secret_key_still_opens_the_evidence_keys(make_patient_story, editor, settings):
    event = requested_event(ask(make_patient_story(), editor))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789-abcdefghijklmnop"  # noqa: S105
    assert personal_matches(event, ANNA) is True


def test_erasure_destroys_the_key_and_the_chain_still_verifies(make_patient_story, editor, person):
    story = make_patient_story()
    consent = build_consent(story, person=person, ip_address="203.0.113.9", user_agent="Phone")
    # The signer withdraws by link: their address is recorded under the request's key.
    withdraw(consent, ["website"], ip="203.0.113.9", user_agent="Phone")
    withdrawn = ConsentEvent.objects.get(consent_id=consent.pk, kind=ConsentEvent.Kind.WITHDRAWN)
    pending = ask(make_patient_story(), editor, person=person)
    requested = requested_event(pending)
    # Someone else of the same name, not erased: their key stays and is the only key material left.
    namesake = Person.objects.create(full_name="Anna de Vries", first_name="Anna", pseudonym="A.V.")
    other = ask(make_patient_story(storyteller=namesake), editor, person=namesake)
    erased_ids = {consent.request_id, pending.pk}
    assert set(EvidenceKey.objects.filter(request_id__in=erased_ids).values_list("request_id", flat=True)) == (
        erased_ids
    )
    assert personal_matches(withdrawn, {"ip": "203.0.113.9", "user_agent": "Phone"}) is True

    erase_person(person, actor="user:1")

    assert not EvidenceKey.objects.filter(request_id__in=erased_ids).exists()
    assert EvidenceKey.objects.filter(request_id=other.pk).exists()
    # The entries are as they were written; nothing can confirm them against a guess any more.
    guesses = [(withdrawn, {"ip": "203.0.113.9", "user_agent": "Phone"}), (requested, ANNA)]
    remaining_keys = [unseal_key(sealed) for sealed in EvidenceKey.objects.values_list("sealed_key", flat=True)]
    assert remaining_keys
    for event, guess in guesses:
        stored = ConsentEvent.objects.get(pk=event.pk)
        assert stored.personal_digest == event.personal_digest and stored.personal_digest.startswith("hmac1:")
        assert personal_matches(stored, guess) is None
        candidates = {plain_sha256(guess), digest_personal(guess).removeprefix("hmacs1:")}
        candidates |= {hmac_hex(key, guess) for key in remaining_keys}
        assert stored.personal_digest.removeprefix("hmac1:") not in candidates
    assert verify_chain() is None
    # The erasure itself is on record, with what it destroyed.
    erased = ConsentEvent.objects.get(kind=ConsentEvent.Kind.ERASED)
    assert erased.data["person_id"] == person.pk
    assert set(erased.data["requests"]) == erased_ids
    assert erased.data["evidence_keys_destroyed"] == 2
    assert erased.sequence == ConsentEvent.objects.order_by("-sequence").first().sequence


def test_the_officer_erasure_view_destroys_the_keys(client, make_patient_story, editor, person, django_user_model):
    from django.contrib.auth.models import Group

    officer = django_user_model.objects.create_user(username="officer", password="pw")
    officer.groups.add(Group.objects.get(name="Consent officers"))
    consent_request = ask(make_patient_story(), editor, person=person)
    assert EvidenceKey.objects.filter(request_id=consent_request.pk).exists()
    client.force_login(officer)
    response = client.post(f"/admin/consent/erase/{person.pk}/")
    assert response.status_code == 302
    assert not EvidenceKey.objects.filter(request_id=consent_request.pk).exists()
    assert personal_matches(requested_event(consent_request), ANNA) is None
    assert verify_chain() is None
