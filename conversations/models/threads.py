"""Conversations and their messages: what people said to (or about) us on one channel account.

A :class:`Conversation` is one thread the inbox works as a unit: a top-level comment or reply under
one of our posts with everything below it, a direct-message conversation, a mention, or a post a
saved search found. It carries the inbox state (status, assignee, flags). A :class:`Message` is one
item in it, incoming (``direction=in``) or one of our replies (``out``). The network's id is unique
per account, so storing the same item twice (a restart, a retry, an overlapping page, a webhook and
a poll) changes nothing.

Message texts and authors are personal data, often health data: they are never logged, kept no
longer than the retention period (``conversations.privacy``), and erased with the person.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Network(models.TextChoices):
    """The networks the inbox reads (the channel adapters' ``kind``)."""

    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"


class Label(models.TextChoices):
    """What the health-data guard found in an incoming message (``conversations.guard``)."""

    MEDICAL_QUESTION = "medical_question", _("Medical question")
    HEALTH_DISCLOSURE = "health_disclosure", _("Health details")
    CRISIS = "crisis", _("Crisis")
    COMPLAINT = "complaint", _("Complaint")


# Labels that make a message unsafe to answer in public with anything but a neutral saved reply.
UNSAFE_LABELS = frozenset({Label.MEDICAL_QUESTION, Label.HEALTH_DISCLOSURE, Label.CRISIS})


class ConversationQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=Conversation.Status.CLOSED)

    def visible_to(self, user):
        """The conversations of the accounts ``user`` may read (``conversations.access``)."""
        from ..access import visible_accounts

        return self.filter(account__in=visible_accounts(user))


class Conversation(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        WAITING = "waiting", _("Waiting")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply or comment")
        MENTION = "mention", _("Mention")
        QUOTE = "quote", _("Quote")
        DIRECT = "direct", _("Direct message")
        # Found by a saved search: not addressed to us.
        LISTENING = "listening", _("Found by listening")

    account = models.ForeignKey(
        "vertel_channels.ChannelAccount",
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        related_name="conversations",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REPLY)
    # The network's id of the thread's first item (the top-level comment, the DM conversation, the
    # mention): unique per account, so every item of the thread finds the same conversation.
    root_external_id = models.CharField(max_length=500)
    # Which of our posts it answers (and so which story, and which consent); None for DMs,
    # mentions and listening.
    dispatch = models.ForeignKey(
        "vertel_channels.Dispatch",
        verbose_name=_("our post"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    story = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    saved_search = models.ForeignKey(
        "conversations.SavedSearch",
        verbose_name=_("saved search"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The union of the guard's labels over the incoming messages, for the inbox filter.
    labels = models.JSONField(_("flags"), default=list, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False, db_index=True)
    crisis = models.BooleanField(_("crisis"), default=False, db_index=True)
    # The language of the first incoming message ("nl", "en", or "" when unknown).
    language = models.CharField(_("language"), max_length=10, blank=True, db_index=True)
    first_message_at = models.DateTimeField(_("first message"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, db_index=True)
    # When we first replied: the response time is ``first_reply_at - first_message_at``.
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["account", "root_external_id"], name="conversations_one_thread_per_root")
        ]
        indexes = [models.Index(fields=["account", "status", "-last_message_at"], name="conversations_inbox")]
        permissions = [
            ("reply_conversation", _("Can reply from the inbox")),
            ("approve_reply", _("Can approve a reply to a flagged message")),
            ("moderate_conversation", _("Can hide, delete, mute or report on the network")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.account})"

    @property
    def addressed_to_us(self):
        return self.kind != self.Kind.LISTENING


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Our reply")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        DIRECT = "direct", _("Private")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Denormalised from the conversation, so the per-account uniqueness is a database constraint.
    account = models.ForeignKey("vertel_channels.ChannelAccount", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # The network's id (Mastodon status id, Bluesky at:// URI, Graph comment id, LinkedIn comment URN).
    external_id = models.CharField(max_length=500)
    # What the network needs besides the id to answer it (a Bluesky CID, the root's strong ref).
    external_ref = models.JSONField(default=dict, blank=True)
    parent_external_id = models.CharField(max_length=500, blank=True)
    author_external_id = models.CharField(_("author id"), max_length=500, blank=True, db_index=True)
    author_handle = models.CharField(_("handle"), max_length=300, blank=True)
    author_name = models.CharField(_("name"), max_length=300, blank=True)
    author_url = models.URLField(_("profile"), max_length=1000, blank=True)
    text = models.TextField(_("text"), blank=True)
    permalink = models.URLField(_("address"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    # Stored in UTC; shown in the organisation's time zone.
    created_at = models.DateTimeField(_("written"), db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    labels = models.JSONField(_("flags"), default=list, blank=True)
    # The guard's reasons in words, in the order found (e.g. "asks about medication").
    reasons = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(_("hidden on the network"), default=False)
    deleted = models.BooleanField(_("deleted on the network"), default=False)
    # Our reply: who sent it (None for incoming items).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="conversations_message_once_per_account")
        ]
        indexes = [models.Index(fields=["conversation", "created_at"], name="conversations_thread_order")]

    def __str__(self):
        return f"{self.get_direction_display()} {self.external_id}"

    @property
    def unsafe(self):
        return bool(UNSAFE_LABELS.intersection(self.labels or ()))


class Note(models.Model):
    """An internal note on a conversation: never sent anywhere."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self):
        return f"Note #{self.pk}"


class ActivityEntry(models.Model):
    """What staff did in a conversation (status, assignment, reply, hide), for the thread and the record."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40)
    # Ids and status names only: never message text.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.action


class IngestCursor(models.Model):
    """Where reading a stream of one account stopped: saved only after the items before it are stored.

    ``stream`` names what is read: ``notifications``, ``direct``, ``comments:<post id>``,
    ``search:<saved search id>``.
    """

    account = models.ForeignKey("vertel_channels.ChannelAccount", on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=200)
    cursor = models.TextField(blank=True)
    # When the stream may be read again (a network's rate limit or Retry-After).
    not_before = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "stream"], name="conversations_one_cursor_per_stream")
        ]

    def __str__(self):
        return f"{self.account_id}:{self.stream}"


class AccountInbox(models.Model):
    """Who may read and answer one account's conversations, and whether it is read at all."""

    account = models.OneToOneField(
        "vertel_channels.ChannelAccount",
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        related_name="inbox",
    )
    enabled = models.BooleanField(_("read this account"), default=True)
    groups = models.ManyToManyField(
        "auth.Group",
        verbose_name=_("groups with access"),
        blank=True,
        related_name="+",
        help_text=_("Members of these groups see this account's conversations. Administrators see every account."),
    )

    class Meta:
        verbose_name = _("account inbox")
        verbose_name_plural = _("account inboxes")

    def __str__(self):
        return str(self.account)
