"""One conversation: its messages in order, the story and our post beside it, and the inbox's forms.

Readable by whoever may view conversations *and* read the conversation's account; anyone else who
may view conversations gets a 404 (the thread's existence is not confirmed). Beside the messages:
the story (title, edit and live links), our post (the dispatch's text, link and time), the consent
in force for that story on this account's channel (naming and channels, from ``consent.policy``),
and the crisis lines under a crisis. Messages flagged as a medical question or health details get
the safe path as guidance. The forms (status, assignee, note) post to ``conversations.views.actions``.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from consent.gating import is_consent_gated
from consent.hooks import channel_labels
from consent.naming import Naming
from consent.policy import consents_of, is_active

from ..actions import AddNoteAction, AssignAction, SetStatusAction, assignable_people
from ..guard import reasons
from ..models import UNSAFE_LABELS, Conversation, InboxSettings, Label, Message, Reply, SavedReply
from .display import label_names, language_name, local_datetime, network_name, person_name
from .replies import moderation_options_with_urls

# Labels whose messages get the safe path (a crisis has its own banner with the crisis lines).
SAFE_PATH_LABELS = frozenset({Label.MEDICAL_QUESTION, Label.HEALTH_DISCLOSURE})
# Networks where we can hide someone else's public comment (see docs/inbox.md).


def thread_queryset(user):
    return Conversation.objects.visible_to(user).select_related("account", "story", "assignee", "dispatch")


def activity_words(entry, people):
    """One activity entry in words (ids and statuses only: nothing of any message)."""
    statuses = dict(Conversation.Status.choices)
    data = entry.data or {}
    if entry.action == "status":
        return _("set the status to %(status)s") % {"status": statuses.get(data.get("after"), data.get("after"))}
    if entry.action == "assign":
        if data.get("after") is None:
            return _("took the assignment away")
        return _("assigned it to %(person)s") % {"person": people.get(data.get("after"), _("someone"))}
    if entry.action == "note":
        return _("added a note")
    if entry.action == "crisis_alerted":
        return _("sent the crisis alert to the people on duty")
    return entry.action


def consent_in_force(story, account):
    """What the story's consent allows on this account's channel: ``{"needed", "naming", "channels"}``."""
    if story is None:
        return None
    page = story.specific
    if not is_consent_gated(page):
        return {"needed": False}
    key = account.channel_key
    active = [consent for consent in consents_of(page) if is_active(consent)]
    chosen = next((consent for consent in active if consent.covers(key)), None) or (active[0] if active else None)
    if chosen is None:
        return {"needed": True, "consent": None}
    labels = channel_labels()
    return {
        "needed": True,
        "consent": chosen,
        "covers_this_channel": chosen.covers(key),
        "naming": dict(Naming.choices).get(chosen.naming, chosen.naming),
        "channels": [labels.get(channel, channel) for channel in chosen.active_channels],
        "until": local_datetime(chosen.valid_until),
    }


class ThreadView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "conversations/admin/thread.html"
    permission_policy = ModelPermissionPolicy(Conversation)
    permission_required = "view"
    header_icon = "comment"
    page_title = gettext_lazy("Conversation")

    @cached_property
    def conversation(self):
        return get_object_or_404(thread_queryset(self.request.user), pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.conversation.account)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("conversations:index"), "label": _("Inbox")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def messages_in_order(self):
        conversation = self.conversation
        rows = list(conversation.messages.select_related("sent_by").order_by("created_at", "pk"))
        by_external_id = {message.external_id: message for message in rows}
        here = self.request.get_full_path()
        for message in rows:
            # The thread's own rows: no query per message for its account or conversation.
            message.account = conversation.account
            message.conversation = conversation
            message.reasons_shown = reasons.shown(message.reasons or ())
            message.moderation = moderation_options_with_urls(message, here)
            message.parent = by_external_id.get(message.parent_external_id) if message.parent_external_id else None
            message.local_time = local_datetime(message.created_at)
            message.flag_names = label_names(message.labels)
            message.safe_path = bool(SAFE_PATH_LABELS.intersection(message.labels or ()))
            message.is_crisis = Label.CRISIS in (message.labels or ())
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        conversation = self.conversation
        user = self.request.user
        messages = self.messages_in_order()
        incoming = [message for message in messages if message.direction == Message.Direction.IN]
        latest = incoming[-1] if incoming else None
        unsafe = bool(UNSAFE_LABELS.intersection(conversation.labels or ()))
        saved_replies = SavedReply.objects.filter(locale__language_code=conversation.language or "nl")
        if unsafe:
            saved_replies = saved_replies.filter(neutral=True)
        people = assignable_people(conversation)
        activity = list(conversation.activity.select_related("actor").order_by("-created_at", "-pk"))
        names = {person.pk: person_name(person) for person in people}
        missing = {entry.data.get("after") for entry in activity if entry.action == "assign"} - set(names) - {None}
        if missing:
            names.update({u.pk: person_name(u) for u in type(user).objects.filter(pk__in=missing)})
        settings = InboxSettings.load(request_or_site=self.request)
        language = getattr(self.request, "LANGUAGE_CODE", "") or "nl"
        dispatch = conversation.dispatch
        context.update(
            {
                "conversation": conversation,
                "thread_messages": messages,
                # Our replies not (yet) on the network: waiting for approval, queued, failed, refused.
                "pending_replies": [
                    (reply, local_datetime(reply.created_at), person_name(reply.created_by))
                    for reply in conversation.replies.exclude(state=Reply.State.SENT)
                    .select_related("created_by")
                    .order_by("created_at", "pk")
                ],
                "message": latest,
                "saved_replies": saved_replies,
                "unsafe": unsafe,
                "safe_path": any(message.safe_path for message in incoming),
                # Whether the network lets us hide the latest message (the moderation options say so).
                "can_hide": any(
                    option["action"] == "hide" and option["available"]
                    for option in (latest.moderation if latest else ())
                ),
                "crisis_lines": settings.crisis_lines(language).splitlines() if conversation.crisis else [],
                "network": network_name(conversation.account.kind),
                "language_name": language_name(conversation.language),
                "last_message": local_datetime(conversation.last_message_at),
                "story": conversation.story,
                "story_live_url": conversation.story.get_url(request=self.request)
                if conversation.story_id and conversation.story.live
                else "",
                "dispatch": dispatch,
                "dispatch_sent": local_datetime(dispatch.sent_at) if dispatch else "",
                "consent": consent_in_force(conversation.story, conversation.account),
                "notes": [
                    (note, local_datetime(note.created_at), person_name(note.author))
                    for note in conversation.notes.select_related("author").order_by("created_at", "pk")
                ],
                "activity": [
                    (entry, local_datetime(entry.created_at), person_name(entry.actor), activity_words(entry, names))
                    for entry in activity
                ],
                "statuses": Conversation.Status.choices,
                "people": [(person.pk, person_name(person)) for person in people],
                "can_change": SetStatusAction(conversation, user=user).user_has_permission(),
                "can_assign": AssignAction(conversation, user=user).user_has_permission(),
                "can_note": AddNoteAction(conversation, user=user).user_has_permission(),
                "me_assigned": conversation.assignee_id == user.pk,
                "urls": {
                    "status": reverse("conversations:set_status", args=[conversation.pk]),
                    "assign": reverse("conversations:assign", args=[conversation.pk]),
                    "note": reverse("conversations:add_note", args=[conversation.pk]),
                },
            }
        )
        return context
