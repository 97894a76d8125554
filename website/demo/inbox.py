"""The demo's inbox: a few conversations on an account that reads and sends nothing.

So the inbox, its flags and the safe path are not empty on first run. The account is a Mastodon
account on the discard port of the loopback address and *inactive*: inactive accounts are not read
(``conversations.tasks``) and get no posts. One organisation story has a post on it, marked sent,
and the demo replies answer that post; the messages are classified by the real health-data guard
while they are stored (``conversations.ingest.store``), without crisis alerts (nobody wrote them).

The texts are written for the demo; no real person is named. Every message is looked up by its id
on the account before it is stored, so a second run adds nothing.
"""

import datetime

from django.utils import timezone

from channels.models import ChannelAccount, Dispatch
from conversations.ingest.store import Incoming, store
from conversations.models import Conversation, SavedReply

ACCOUNT_NAME = "Mastodon (demo, leest en verstuurt niets)"
INSTANCE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
POST_ID = "demo-post-1"

# (id, minutes ago, kind, author handle, name, language, text, reply to (id) or None)
MESSAGES = [
    ("demo-1", 50, "reply", "ineke@zorg.example", "Ineke", "nl", "Wat een mooi verhaal, dank voor het delen!", None),
    (
        "demo-2",
        42,
        "reply",
        "karim@social.example",
        "Karim",
        "nl",
        "Mijn vader ligt sinds dinsdag op de afdeling cardiologie na zijn hartinfarct. "
        "Mag hij zijn eigen bloedverdunners blijven gebruiken?",
        None,
    ),
    (
        "demo-3",
        30,
        "reply",
        "sam@social.example",
        "Sam",
        "en",
        "We waited four hours at the emergency department last night and nobody told us anything.",
        None,
    ),
    (
        "demo-4",
        20,
        "mention",
        "noor@zorg.example",
        "Noor",
        "nl",
        "@lindeziekenhuis hoe laat is het bezoekuur in het weekend?",
        None,
    ),
    ("demo-5", 12, "reply", "ineke@zorg.example", "Ineke", "nl", "Ik deel hem meteen met mijn zus.", "demo-1"),
]

NEUTRAL_REPLIES = {
    "nl": (
        "Naar een privékanaal",
        "Dank voor uw bericht. Over persoonlijke zorg praten we liever niet in het openbaar: "
        "wilt u ons bellen of een bericht sturen via het patiëntenportaal? Dan helpen we u verder.",
    ),
    "en": (
        "To a private channel",
        "Thank you for your message. We would rather not discuss personal care in public: "
        "could you call us or write to us through the patient portal? We will help you from there.",
    ),
}


def demo_inbox_account():
    account, _made = ChannelAccount.objects.get_or_create(
        name=ACCOUNT_NAME,
        defaults={
            "kind": "mastodon",
            "active": False,
            "config": {"instance_url": INSTANCE_URL},
            "display_name": "@lindeziekenhuis",
            "profile_url": "https://example.org/@lindeziekenhuis",
        },
    )
    return account


def seed_inbox(story, locales):
    """The demo conversations under a post of ``story`` (an organisation story), and the saved replies."""
    account = demo_inbox_account()
    now = timezone.now()
    dispatch, _made = Dispatch.objects.get_or_create(
        page=story,
        account=account,
        content_hash=f"demo-inbox-{story.pk}".ljust(64, "0")[:64],
        defaults={
            "page_title": story.title,
            "state": Dispatch.State.SENT,
            "scheduled_for": now - datetime.timedelta(hours=2),
            "sent_at": now - datetime.timedelta(hours=2),
            "text": story.search_description or story.title,
            "remote_id": POST_ID,
            "remote_url": "https://example.org/@lindeziekenhuis/1",
        },
    )
    items = []
    for external_id, minutes, kind, handle, name, language, text, parent in MESSAGES:
        items.append(
            Incoming(
                external_id=external_id,
                created_at=now - datetime.timedelta(minutes=minutes),
                text=text,
                kind=Conversation.Kind.MENTION if kind == "mention" else Conversation.Kind.REPLY,
                root_external_id=parent or external_id,
                parent_external_id=parent or (dispatch.remote_id if kind == "reply" else ""),
                our_post_id=dispatch.remote_id if kind == "reply" else "",
                author_external_id=handle,
                author_handle=handle,
                author_name=name,
                author_url=f"https://{handle.split('@')[1]}/@{handle.split('@')[0]}",
                permalink=f"https://{handle.split('@')[1]}/@{handle.split('@')[0]}/{external_id}",
                language=language,
            )
        )
    store(account, items, alert=False)
    first = None
    for code, (title, text) in NEUTRAL_REPLIES.items():
        # One saved reply in two languages: the English one is the Dutch one's translation.
        defaults = {"text": text, "neutral": True}
        if first is not None:
            defaults["translation_key"] = first.translation_key
        saved, _made = SavedReply.objects.get_or_create(title=title, locale=locales[code], defaults=defaults)
        first = first or saved
    return account
