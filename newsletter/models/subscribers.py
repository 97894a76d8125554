"""Subscribers: one address each, its preferences and the proof of its double opt-in."""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..tokens import derive_link_token, hash_token, link_token_for, new_token


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscriber.Status.CONFIRMED)

    def deliverable(self):
        return self.confirmed().filter(undeliverable_at__isnull=True)

    def recipients_of(self, issue):
        """Confirmed, deliverable subscribers in the issue's language (and with one of its themes)."""
        recipients = self.deliverable().filter(language=issue.language)
        keys = issue.theme_keys()
        if keys:
            recipients = recipients.filter(themes__translation_key__in=keys).distinct()
        return recipients


class Subscriber(models.Model):
    """One email address, its preferences and the proof of its opt-in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class Source(models.TextChoices):
        HOME = "home", _("Form on the home page")
        STORY = "story", _("Form on a story page")
        PAGE = "page", _("Newsletter page")
        IMPORT = "import", _("Imported with documented opt-in")
        ADMIN = "admin", _("Added in the admin")

    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.NL)
    # Themes of interest; stored as whichever locale's theme was chosen, matched by translation key.
    themes = models.ManyToManyField("stories.Theme", verbose_name=_("themes"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    # Proof of opt-in: when, from where, and how it was confirmed.
    source = models.CharField(_("source of opt-in"), max_length=20, choices=Source.choices)
    source_detail = models.CharField(_("opt-in detail"), max_length=500, blank=True)
    opted_in_at = models.DateTimeField(_("opted in at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_via = models.CharField(_("confirmed via"), max_length=200, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # Set by a bounce, complaint or rejection: nothing is sent to the address any more.
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    undeliverable_reason = models.CharField(_("undeliverable because"), max_length=200, blank=True)
    # Double opt-in token (random, hashed) and its expiry.
    confirm_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    confirm_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Personal-link token: derived by HMAC from id and salt, stored only as its digest.
    link_salt = models.CharField(max_length=32, default="", editable=False)
    link_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The digest of the token made with a key that is gone (see ``link_token_for``): still accepted.
    previous_link_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["language", "status"], name="newsletter_sub_lang_status")]
        permissions = [
            ("manage_newsletter", "Can manage the newsletter: subscribers, issues and sending"),
            ("export_subscribers", "Can export the subscriber list (addresses and proof of opt-in)"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
        if not self.link_token_hash:
            self.rotate_link_token()

    def rotate_link_token(self):
        """A new personal-link token; every older unsubscribe or preferences link stops working."""
        self.link_salt = secrets.token_hex(16)
        self.link_token_hash = hash_token(derive_link_token(self.pk, self.link_salt))
        self.previous_link_token_hash = None
        type(self).objects.filter(pk=self.pk).update(
            link_salt=self.link_salt, link_token_hash=self.link_token_hash, previous_link_token_hash=None
        )

    @classmethod
    def renew_link_hash(cls, subscriber_id, old_hash, token):
        """Store the digest of ``token`` (made with the current key); the old digest stays valid as the previous."""
        new_hash = hash_token(token)
        # Conditional on the old digest, so a concurrent rotation of the salt is never undone.
        cls.objects.filter(pk=subscriber_id, link_token_hash=old_hash).update(
            link_token_hash=new_hash, previous_link_token_hash=old_hash
        )
        return new_hash

    @property
    def link_token(self):
        """The token of this subscriber's personal links, as the next email carries it."""
        token, renew = link_token_for(self.pk, self.link_salt, self.link_token_hash)
        if renew:
            self.previous_link_token_hash = self.link_token_hash
            self.link_token_hash = self.renew_link_hash(self.pk, self.link_token_hash, token)
        return token

    @classmethod
    def link_token_matches(cls, token_hash):
        return Q(link_token_hash=token_hash) | Q(previous_link_token_hash=token_hash)

    def new_confirm_token(self, days=7):
        token = new_token()
        self.confirm_token_hash = hash_token(token)
        self.confirm_expires_at = timezone.now() + timezone.timedelta(days=days)
        return token

    @property
    def is_deliverable(self):
        return self.status == self.Status.CONFIRMED and self.undeliverable_at is None
