"""Consent: versioned consent texts, requests sent to signers, signatures, and the evidence log.

The organisation carries the burden of proof (GDPR Art. 7(1)), so a signature records what was
signed (the consent text version and its hash, the story revision and the hash of its content),
who signed as whom, the choices made, and how the signer was verified. Personal details live on
``ConsentRequest`` and ``Consent`` rows, which erasure blanks; the append-only, hash-chained
``ConsentEvent`` log holds only keyed digests of them (``EvidenceKey``, destroyed on erasure), so the
chain stays verifiable after erasure and the digests can no longer be tied to the person.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import channel_keys

TOKEN_BYTES = 32  # 256 bits of randomness in every personal link


def hash_token(token):
    """Tokens are stored only as their SHA-256; the link in the email is the only copy."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_reference():
    """A short code the signer can quote, e.g. ``VT-7K3Q-9XMD`` (no ambiguous characters)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"VT-{raw[:4]}-{raw[4:]}"


class SignerRole(models.TextChoices):
    PATIENT = "patient", _("The patient themselves")
    PARENT = "parent", _("A parent")
    GUARDIAN = "guardian", _("A guardian")
    REPRESENTATIVE = "representative", _("A legal representative (curator or mentor)")


class Channel:
    """Channel keys a consent can cover. Social accounts are added by the channel registry."""

    WEBSITE = channel_keys.WEBSITE
    NEWSLETTER = channel_keys.NEWSLETTER
    SOCIAL = channel_keys.SOCIAL


class ConsentText(models.Model):
    """One version of the consent form text in one language. Signed versions never change."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField(_("version"), editable=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain language: what is published where and for how long, that refusing or withdrawing "
            "never affects care, how to withdraw, and what withdrawal cannot undo."
        ),
    )
    sha256 = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["language", "-version"]
        constraints = [models.UniqueConstraint(fields=["language", "version"], name="consent_text_version_unique")]
        permissions = [
            ("view_evidence", "Can see and export consent evidence"),
            ("erase_person", "Can erase a person"),
        ]

    def __str__(self):
        return f"{self.title} ({self.language} v{self.version})"

    def save(self, *args, **kwargs):
        """Write a new version: a text someone may have signed is never changed in place."""
        from django.db.models import Max

        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored == self.compute_sha256():
                return  # nothing changed, so no new version
            self.pk = None
            self._state.adding = True
        latest = type(self).objects.filter(language=self.language).aggregate(latest=Max("version"))["latest"]
        self.version = (latest or 0) + 1
        self.created_at = timezone.now()
        self.sha256 = self.compute_sha256()
        kwargs.pop("update_fields", None)
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def compute_sha256(self):
        payload = f"{self.language}\n{self.title}\n{self.body}".encode()
        return hashlib.sha256(payload).hexdigest()


class ConsentRequest(models.Model):
    """A request for one signer to consent to one story revision, reached by a personal link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for signature")
        SIGNED = "signed", _("Signed")
        REVOKED = "revoked", _("Revoked by the organisation")
        EXPIRED = "expired", _("Link expired")
        SUPERSEDED = "superseded", _("Replaced by a newer request")

    class Delivery(models.TextChoices):
        EMAIL = "email", _("By email")
        IN_PERSON = "in_person", _("In person (printed link or QR code)")

    story = models.ForeignKey(
        "stories.PatientStoryPage", null=True, on_delete=models.SET_NULL, related_name="consent_requests"
    )
    # Kept so the evidence still names the story after it is deleted.
    story_title = models.CharField(max_length=255)
    revision = models.ForeignKey("wagtailcore.Revision", null=True, on_delete=models.SET_NULL, related_name="+")
    content_hash = models.CharField(max_length=64)
    content_manifest = models.JSONField(default=dict)
    person = models.ForeignKey(
        "stories.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="consent_requests"
    )
    signer_name = models.CharField(_("signer's name"), max_length=200)
    signer_email = models.EmailField(_("signer's email"), blank=True)
    signer_role = models.CharField(_("who signs"), max_length=20, choices=SignerRole.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    proposed_channels = models.JSONField(_("proposed channels"), default=list)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.EMAIL)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # The workflow task state this request gates; approving it moves the workflow on.
    task_state = models.ForeignKey(
        "wagtailcore.TaskState", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set on a re-consent request: the consent it renews, so the signer can be shown what changed.
    previous_consent = models.ForeignKey(
        "consent.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_requests"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # One-time code for in-person signing, stored hashed; with its expiry and attempts.
    otp_hash = models.CharField(max_length=64, blank=True)
    otp_expires_at = models.DateTimeField(null=True, blank=True)
    otp_attempts = models.PositiveSmallIntegerField(default=0)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("consent request")
        verbose_name_plural = _("consent requests")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.story_title} — {self.get_status_display()}"

    @property
    def is_usable(self):
        return self.status == self.Status.PENDING and self.expires_at > timezone.now()


# What "active" means, once: signed (a row exists), not withdrawn, not erased, not past its end.
# ``active_q`` is the query and ``Consent.is_active_at`` the same rule in Python; they sit together
# so they change together (tests/consent/test_active.py holds them to agree), and everything else
# asks one of them: ``ConsentQuerySet.active``, ``Consent.is_active``, ``consent.policy.is_active``.


def active_q(at=None):
    """The query of the consents active at ``at`` (default: now)."""
    at = at or timezone.now()
    return models.Q(withdrawn_at__isnull=True, erased_at__isnull=True) & (
        models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=at)
    )


class ConsentQuerySet(models.QuerySet):
    def active(self, at=None):
        """Signed, not withdrawn, not erased, not past its end at ``at`` (``active_q``)."""
        return self.filter(active_q(at))

    def valid_for(self, story, channel, content_hash=None, at=None):
        """Active consents for ``story`` that cover ``channel`` (and ``content_hash`` if given)."""
        consents = self.active(at).filter(story=story)
        if content_hash is not None:
            consents = consents.filter(content_hash=content_hash)
        # JSON containment is not portable to SQLite; the lists are short, so filter in Python.
        return [consent for consent in consents if consent.covers(channel)]


class Consent(models.Model):
    """A signature: the signer's informed, specific consent to one revision of one story."""

    class Verification(models.TextChoices):
        EMAIL_LINK = "email_link", _("Personal link sent to the signer's email")
        EMAIL_CODE = "email_code", _("One-time code sent to the signer's email")
        IN_PERSON = "in_person", _("Signed in person, witnessed by staff")

    request = models.OneToOneField(ConsentRequest, on_delete=models.PROTECT, related_name="consent")
    story = models.ForeignKey(
        "stories.PatientStoryPage", null=True, on_delete=models.SET_NULL, related_name="consents"
    )
    person = models.ForeignKey(
        "stories.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="consents"
    )
    revision = models.ForeignKey("wagtailcore.Revision", null=True, on_delete=models.SET_NULL, related_name="+")
    content_hash = models.CharField(max_length=64, db_index=True)
    content_manifest = models.JSONField(default=dict)
    consent_text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    consent_text_hash = models.CharField(max_length=64)
    # The signer's choices.
    channels = models.JSONField(default=list)
    naming = models.CharField(max_length=20)
    allow_photos = models.BooleanField(default=False)
    allow_video = models.BooleanField(default=False)
    valid_until = models.DateTimeField(null=True, blank=True)
    # Who signed, as whom, and how they were verified.
    signer_typed_name = models.CharField(max_length=200)
    signer_role = models.CharField(max_length=20, choices=SignerRole.choices)
    signer_relation = models.CharField(max_length=200, blank=True)
    patient_birth_date = models.DateField(null=True, blank=True)
    verification = models.CharField(max_length=20, choices=Verification.choices)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=20, unique=True, default=new_reference)
    # Withdrawal uses its own token (hashed), sent only in the receipt.
    withdrawal_token_hash = models.CharField(max_length=64, unique=True)
    withdrawn_channels = models.JSONField(default=list)
    withdrawn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    expiry_warning_sent_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-signed_at"]

    def __str__(self):
        return self.reference

    def covers(self, channel):
        """True if the signer chose ``channel`` and has not withdrawn it.

        A social account channel (``account:<id>``) is covered by the ``social`` group too.
        """
        return channel_keys.in_keys(channel, self.channels) and not channel_keys.in_keys(
            channel, self.withdrawn_channels
        )

    @property
    def active_channels(self):
        return [channel for channel in self.channels if channel not in self.withdrawn_channels]

    def is_active_at(self, at=None):
        """``active_q`` in Python: signed, not withdrawn, not erased, not past its end at ``at``."""
        at = at or timezone.now()
        return (
            self.withdrawn_at is None
            and self.erased_at is None
            and (self.valid_until is None or self.valid_until > at)
        )

    @property
    def is_active(self):
        return self.is_active_at()


class AppendOnlyQuerySet(models.QuerySet):
    """Evidence is never changed or removed through the ORM."""

    def update(self, **kwargs):
        raise PermissionError("Consent events are append-only.")

    def delete(self):
        raise PermissionError("Consent events are append-only.")


class ConsentEvent(models.Model):
    """One entry of the append-only, hash-chained evidence log.

    Each entry's hash covers its own fields and the previous entry's hash, so an edited, deleted
    or reordered row is detectable (``manage.py verify_consent_log``). Entries hold no personal
    data in clear: ``personal_digest`` is a keyed digest (HMAC-SHA256) of the personal details that
    the consent and request rows hold, made with the request's ``EvidenceKey``; erasure blanks those
    rows and destroys the key, so the digest can no longer be confirmed against a guess, while the
    chain, which covers the stored digest string, stays intact. See ``consent.evidence``.
    """

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("Consent requested")
        SENT = "sent", _("Request sent")
        RESENT = "resent", _("Request sent again")
        OPENED = "opened", _("Link opened")
        CODE_SENT = "code_sent", _("One-time code sent")
        SIGNED = "signed", _("Signed")
        REVOKED = "revoked", _("Request revoked")
        RECONSENT_REQUESTED = "reconsent_requested", _("Re-consent requested after a change")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        EXPIRY_WARNED = "expiry_warned", _("Expiry warning sent")
        RETRACTED = "retracted", _("Removed from a channel")
        RETRACTION_MANUAL = "retraction_manual", _("Needs manual removal from a channel")
        ERASED = "erased", _("Personal data erased")
        TAKEN_DOWN = "taken_down", _("Taken offline: something it shows changed without a signature")
        EXPORTED = "exported", _("Evidence exported")
        SIGNATURE_REFUSED = "signature_refused", _("Signature refused")
        CODE_LOCKED = "code_locked", _("Locked after too many wrong codes")

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    kind = models.CharField(max_length=30, choices=Kind.choices, editable=False)
    # Plain ids, not foreign keys: evidence outlives the rows it speaks of.
    story_id = models.BigIntegerField(null=True, editable=False, db_index=True)
    request_id = models.BigIntegerField(null=True, editable=False, db_index=True)
    consent_id = models.BigIntegerField(null=True, editable=False, db_index=True)
    actor = models.CharField(max_length=100, blank=True, editable=False)
    data = models.JSONField(default=dict, editable=False)
    # "hmac1:<hex>" (the request's key), "hmacs1:<hex>" (the site key) or, before migration 0005,
    # a bare SHA-256 hex digest.
    personal_digest = models.CharField(max_length=80, blank=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent events")
        ordering = ["sequence"]

    def __str__(self):
        return f"#{self.sequence} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        # Entries are written once, by consent.evidence.record_event; never updated.
        raise PermissionError("Consent events are append-only: use consent.evidence.record_event().")

    def delete(self, *args, **kwargs):
        raise PermissionError("Consent events are append-only.")


class EvidenceKey(models.Model):
    """The secret key of one consent request's evidence digests, destroyed when the person is erased.

    The digests of personal details in the evidence log are HMAC-SHA256 under this key, so whoever
    holds the log cannot confirm a guessed name or address by hashing it. The key is stored sealed
    with a key derived from ``SECRET_KEY`` (``consent.evidence.seal_key``) and never logged. Erasure
    deletes the row: from then on nobody can recompute a digest, yet every entry and the chain stay
    as they were written.
    """

    request = models.OneToOneField(ConsentRequest, on_delete=models.CASCADE, related_name="evidence_key")
    sealed_key = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("evidence key")
        verbose_name_plural = _("evidence keys")

    def __str__(self):
        return f"evidence key of request #{self.request_id}"

    def __repr__(self):
        return f"<EvidenceKey request={self.request_id}>"


class ConsentChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain in turn."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"consent log head at #{self.last_sequence}"
