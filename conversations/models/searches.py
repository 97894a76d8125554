"""Listening: saved searches for the organisation's name, handles and hashtags on public search."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# The networks with a public search the inbox can read (``conversations.ingest.listening``).
SEARCHABLE_NETWORKS = ("mastodon", "bluesky")


class SavedSearch(models.Model):
    class Kind(models.TextChoices):
        HASHTAG = "hashtag", _("Hashtag")
        TEXT = "text", _("Words")

    name = models.CharField(_("name"), max_length=100)
    account = models.ForeignKey(
        "vertel_channels.ChannelAccount",
        verbose_name=_("search with"),
        on_delete=models.CASCADE,
        related_name="saved_searches",
        help_text=_("The account whose network is searched (Mastodon or Bluesky)."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    query = models.CharField(
        _("search for"),
        max_length=200,
        help_text=_("A hashtag without '#', or words such as the organisation's name."),
    )
    language = models.CharField(_("language"), max_length=10, blank=True, help_text=_("Empty: every language."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        account = self.account if self.account_id else None
        if account is not None and account.kind not in SEARCHABLE_NETWORKS:
            raise ValidationError(
                {
                    "account": _(
                        "%(network)s has no public search Vertel can read: listen with a Mastodon or Bluesky account."
                    )
                    % {"network": account.get_kind_display()}
                }
            )
        if self.kind == self.Kind.HASHTAG and not self.query.strip().lstrip("#").strip():
            raise ValidationError({"query": _("Enter a hashtag.")})
        if self.kind == self.Kind.HASHTAG and any(c.isspace() for c in self.query.strip()):
            raise ValidationError({"query": _("A hashtag is one word, without spaces.")})
