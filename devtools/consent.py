"""Signed consents for the benchmarks and the tests, made by the product's own signing path.

``ConsentRequestFactory`` (factory-boy) makes a pending request for a story's revision, with the
content the product's ``consent.content`` reads from it; ``build_consent`` signs that request with
``consent.services.sign``, so the consent and its evidence are exactly what signing produces (no
field list here mirrors ``sign``). Not the signing views: no email link is sent, and a patient
signs in Dutch unless told otherwise.

factory-boy is a test requirement (``requirements-test.txt``); only the tests and the benchmark
commands (inside the function that needs it) import this module.
"""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from consent.content import content_manifest, hash_manifest
from consent.models import ConsentRequest, ConsentText, SignerRole, hash_token, new_token
from consent.services import sign

SIGNER = "Anna de Vries"

# What ``sign`` takes from the signing form (``choices``) and from the request it came with.
CHOICES = ("naming", "allow_photos", "allow_video", "relation", "patient_birth_date")
SIGN_ARGUMENTS = {"ip_address": "ip", "user_agent": "user_agent", "witnessed_by": "witnessed_by"}


class ConsentTextFactory(DjangoModelFactory):
    """A consent text (its ``save`` numbers the version and takes the fingerprint)."""

    class Meta:
        model = ConsentText

    language = "nl"
    title = "Toestemming"
    body = "Je mag altijd stoppen."


def consent_text(language="nl"):
    """The newest consent text of ``language``, written first if there is none."""
    return ConsentText.objects.filter(language=language).order_by("-version").first() or ConsentTextFactory(
        language=language
    )


class ConsentRequestFactory(DjangoModelFactory):
    """A pending request for ``revision`` (default: the story's latest) of ``story``.

    The manifest and content hash are the product's own (``content_manifest``/``hash_manifest``
    of the revision as shown), as ``consent.services.create_request`` records them.
    """

    class Meta:
        model = ConsentRequest
        exclude = ("shown",)

    story = None  # pass a patient story
    revision = factory.LazyAttribute(lambda o: o.story.get_latest_revision() or o.story.save_revision())
    story_title = factory.LazyAttribute(lambda o: o.story.title)
    shown = factory.LazyAttribute(lambda o: o.revision.as_object())
    content_manifest = factory.LazyAttribute(lambda o: content_manifest(o.shown))
    content_hash = factory.LazyAttribute(lambda o: hash_manifest(o.content_manifest))
    person = None
    signer_name = SIGNER
    signer_email = "anna@example.org"
    signer_role = SignerRole.PATIENT
    language = "nl"
    proposed_channels = factory.LazyFunction(lambda: ["website"])
    token_hash = factory.LazyFunction(lambda: hash_token(new_token()))
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))
    status = ConsentRequest.Status.PENDING


def build_consent(story, revision=None, channels=("website",), valid_until=None, **fields):
    """A consent for ``revision`` (default: the story's latest) of ``story``, signed by ``sign``.

    ``channels``, ``naming``, ``allow_photos``, ``allow_video`` (and ``relation``,
    ``patient_birth_date``) are the signer's choices; ``person`` is the request's;
    ``ip_address``, ``user_agent`` and ``witnessed_by`` go to ``sign`` as the signing view passes
    them. What a signature cannot set (an exact ``valid_until`` moment, a withdrawal, a known
    ``withdrawal_token_hash``, ...) is written on the signed consent afterwards.
    """
    request_fields = {"story": story, "proposed_channels": list(channels)}
    if revision is not None:
        request_fields["revision"] = revision
    if "person" in fields:
        request_fields["person"] = fields.pop("person")
    request = ConsentRequestFactory(**request_fields)
    consent_text(request.language)
    choices = {"channels": list(channels), "typed_name": SIGNER, "naming": request.revision.as_object().naming}
    choices.update({name: fields.pop(name) for name in CHOICES if name in fields})
    arguments = {SIGN_ARGUMENTS[name]: fields.pop(name) for name in list(fields) if name in SIGN_ARGUMENTS}
    consent, _token = sign(request.pk, choices=choices, **arguments)
    if valid_until is not None:
        fields["valid_until"] = valid_until
    if fields:
        type(consent).objects.filter(pk=consent.pk).update(**fields)
        consent.refresh_from_db()
    return consent
