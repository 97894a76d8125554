"""The website app's signal receivers, connected once from ``WebsiteConfig.ready()``.

The page cache is purged (``website.cache``) on publish, unpublish, slug change, move, deletion,
view restrictions, consent withdrawal or expiry, a storyteller's change and the site-wide settings
and snippets every page shows (the support boxes among them); after every ``migrate`` the default
Site takes its address from ``BASE_URL`` (``website.public_address``).

Every purge receiver swallows (and logs) its own failure. The site's app is the first installed,
so its receivers run first: an exception here would stop the receivers after it (channels,
newsletter) and roll back the change that sent the signal, a withdrawal included. The cache may
fail, the withdrawal may not.
"""

import logging

from . import cache, cdn
from .cache_store import cdn_configured

logger = logging.getLogger("website.cache")


def _safely(action, purge, *args, **kwargs):
    try:
        purge(*args, **kwargs)
    except Exception:  # noqa: BLE001 - see above; the message names no person
        logger.exception("Page cache purge after %s failed", action)


def _on_page_changed(sender, instance, **kwargs):
    _safely("a publish or unpublish", lambda: cache.purge_pages([instance]))


def _on_everything(sender=None, **kwargs):
    _safely(f"a change to {getattr(sender, '__name__', sender)}", lambda: cache.purge_everything())


def _on_page_moved(sender, instance, url_path_before=None, url_path_after=None, **kwargs):
    def purge():
        moved = cdn_configured() and url_path_before and url_path_before != url_path_after
        cache.purge_everything(cdn.moved_urls(instance, url_path_before, url_path_after) if moved else ())

    _safely("a move", purge)


def _on_slug_changed(sender, instance, instance_before, **kwargs):
    def purge():
        old = cdn.moved_urls(instance, instance_before.url_path, instance.url_path) if cdn_configured() else set()
        cache.purge_everything(old)

    _safely("a slug change", purge)


def _on_page_deleted(sender, instance, **kwargs):
    # Before the row goes: afterwards the page has no address to purge from a CDN.
    def purge():
        old = {url for _path, url in cdn.page_urls(instance)} if cdn_configured() else set()
        cache.purge_everything(old)

    _safely("a deletion", purge)


def _on_restriction_groups(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        _safely("a change to a view restriction's groups", lambda: cache.purge_everything())


def _on_consent_withdrawn(sender, consent, **kwargs):
    if consent.story_id:
        _safely("a consent withdrawal", lambda: cache.purge_story(consent.story_id))


def _on_person_saved(sender, instance, **kwargs):
    def purge():
        from stories.models import PatientStoryPage

        stories = list(PatientStoryPage.objects.filter(storyteller=instance))
        if stories:
            cache.purge_pages(stories)

    _safely("a storyteller change", purge)


def connect(app_config):
    """Connect every receiver of the website app (``app_config``: the website app, for ``post_migrate``)."""
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete
    from wagtail.models import Page, PageViewRestriction
    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    from consent.signals import consent_withdrawn
    from core.groups import ensure_groups
    from stories.models import Department, Person, Theme
    from website.models import OrganisationSettings, SupportBox

    from .public_address import sync_after_migrate

    page_published.connect(_on_page_changed, dispatch_uid="vertel_pagecache_published")
    page_unpublished.connect(_on_page_changed, dispatch_uid="vertel_pagecache_unpublished")
    page_slug_changed.connect(_on_slug_changed, dispatch_uid="vertel_pagecache_slug")
    post_page_move.connect(_on_page_moved, dispatch_uid="vertel_pagecache_moved")
    pre_delete.connect(_on_page_deleted, sender=Page, dispatch_uid="vertel_pagecache_deleted")
    consent_withdrawn.connect(_on_consent_withdrawn, dispatch_uid="vertel_pagecache_withdrawn")
    post_save.connect(_on_person_saved, sender=Person, dispatch_uid="vertel_pagecache_person")
    # A restriction (password, login, groups) covers the page and everything below it.
    post_save.connect(_on_everything, sender=PageViewRestriction, dispatch_uid="vertel_pagecache_restriction_saved")
    post_delete.connect(
        _on_everything, sender=PageViewRestriction, dispatch_uid="vertel_pagecache_restriction_deleted"
    )
    m2m_changed.connect(
        _on_restriction_groups,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="vertel_pagecache_restriction_groups",
    )
    for model in (Theme, Department, OrganisationSettings, SupportBox):
        post_save.connect(_on_everything, sender=model, dispatch_uid=f"vertel_pagecache_{model.__name__}_saved")
        post_delete.connect(_on_everything, sender=model, dispatch_uid=f"vertel_pagecache_{model.__name__}_deleted")
    # After every migrate the default Site takes its address from BASE_URL (website/public_address.py).
    post_migrate.connect(sync_after_migrate, sender=app_config, dispatch_uid="vertel.sync_site_address")
    # Every app's permission groups (``<app>/groups.py``), created in one place (core.groups). Without
    # a sender: the permissions of the apps and wagtailadmin exist only after their own post_migrate.
    post_migrate.connect(ensure_groups, dispatch_uid="vertel.ensure_groups")
