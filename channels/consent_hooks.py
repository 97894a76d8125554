"""What channels tells consent: the channels a signer can choose, and previews of the planned posts.

Consent never imports channels; it asks through the hooks it defines in ``consent.hooks``, and the
functions here answer. Registered when the app is ready (``ChannelsConfig.ready`` imports this
module).
"""

import logging

from wagtail import hooks

from consent.hooks import CHANNEL_CHOICES_HOOK, POST_PREVIEWS_HOOK

from . import adapters
from .adapters.base import Post
from .plan import story_link
from .registry import consent_channel_choices

logger = logging.getLogger(__name__)


@hooks.register(CHANNEL_CHOICES_HOOK)
def channel_choices():
    """The built-in channels, then one per active social account (see ``channels.registry``)."""
    return consent_channel_choices()


@hooks.register(POST_PREVIEWS_HOOK)
def post_previews(story, posts):
    """Each planned post of ``story`` as its network will publish it: the adapter composes the text.

    ``posts`` are ``consent.content.planned_posts(story)``: the text and image the signer consents
    to. A post whose account no longer exists is left out.
    """
    from .models import ChannelAccount

    accounts = ChannelAccount.objects.in_bulk([post["plan"].account_id for post in posts])
    previews = []
    for post in posts:
        account = accounts.get(post["plan"].account_id)
        if account is None:
            continue
        link = story_link(story, account, post["plan"].utm_campaign)
        item = Post(text=post["text"], link=link)
        cls = adapters.adapter_classes().get(account.kind)
        try:
            composed = cls(account).compose(item) if cls is not None else _text_and_link(item)
        except Exception:  # noqa: BLE001 - unreadable credentials must not hide the post from the signer
            logger.warning("Composing the post for account %s failed; showing text and link.", account.pk)
            composed = _text_and_link(item)
        previews.append(
            {
                "channel": post["channel"],
                "account": account,
                "text": composed,
                "link": link,
                "link_in_text": link in composed,
                "image": post["image"],
                "alt": post["alt"],
            }
        )
    return previews


def _text_and_link(post):
    """How most networks compose a post (``Adapter.compose``), for when the adapter is unavailable."""
    return f"{post.text}\n\n{post.link}".strip() if post.link and post.link not in post.text else post.text
