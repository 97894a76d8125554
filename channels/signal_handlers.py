"""The channels app's signal receivers: publishing plans the posts, withdrawal and unpublishing take them back.

Connected in ``ChannelsConfig.ready()`` (``channels/apps.py``), the one place the app wires
signals; nothing here connects itself. Receivers never raise into the caller (publishing or a
withdrawal must not fail because a channel is down): they queue work and log what went wrong.
A removal lost that way is found by the periodic sweep
(``channels.retraction.sweep_missed_removals``), which queues the removal of every sent post whose
story is gone or whose consent no longer covers it.
"""

import logging

from .mixins import SyndicatedPageMixin
from .planning import plan_for_publish
from .retraction import retract_story

logger = logging.getLogger(__name__)


def _is_story(instance):
    from wagtail.models import Page

    if isinstance(instance, SyndicatedPageMixin):
        return True
    # Deleting a page tree hands receivers base ``Page`` objects too.
    specific_class = instance.specific_class if isinstance(instance, Page) else None
    return specific_class is not None and issubclass(specific_class, SyndicatedPageMixin)


def on_page_published(sender, instance, revision=None, alias=False, **kwargs):
    if alias or not _is_story(instance):
        return
    try:
        from .media import restore_story_media

        restore_story_media(instance)
    except Exception:  # noqa: BLE001
        logger.exception("Restoring the images of story %s failed.", instance.pk)
    try:
        plan_for_publish(instance, revision)
    except Exception:  # noqa: BLE001 - the story is published; the sweep and the log show the rest
        logger.exception("Planning the posts of story %s failed.", instance.pk)


def on_page_unpublished(sender, instance, **kwargs):
    if not _is_story(instance):
        return
    try:
        retract_story(instance.pk, reason="unpublished")
    except Exception:  # noqa: BLE001
        logger.exception("Queueing the removal of story %s's posts failed.", instance.pk)


def on_story_deleted(sender, instance, **kwargs):
    """Before a story is deleted, queue the removal of its posts while its dispatches still point to it."""
    if not _is_story(instance):
        return
    try:
        retract_story(instance.pk, reason="deleted")
    except Exception:  # noqa: BLE001
        logger.exception("Queueing the removal of deleted story %s's posts failed.", instance.pk)


def on_consent_withdrawn(sender, consent, channels, reason, **kwargs):
    """Take the story off the channels the consent no longer covers (the website means all of them)."""
    if consent.story_id is None:
        return
    try:
        retract_story(
            consent.story_id, reason=reason or "withdrawn", channels=list(channels or []), keep_if_consented=True
        )
    except Exception:  # noqa: BLE001
        logger.exception("Queueing the removal of story %s's posts after withdrawal failed.", consent.story_id)
    try:
        from wagtail.models import Page

        from .media import hide_story_media

        page = Page.objects.filter(pk=consent.story_id).first()
        if page is not None and not page.live:
            hide_story_media(page)
    except Exception:  # noqa: BLE001
        logger.exception("Taking story %s's images off the public media storage failed.", consent.story_id)
