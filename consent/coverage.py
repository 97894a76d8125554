"""Changes outside the page: an image file, a storyteller, a department, a theme or a tag.

A live patient story shows rows it does not own: its images (their files), the storyteller's name
as the naming resolves it, the department's and the themes' names, its tags. Editing one of them
(in the admin's image or snippet views, or anywhere else that saves the row) changes what the story
shows without a save of the page, so the gate in ``save()`` never sees it. This module does: after
such a row is saved, every live consent-gated page that uses it is checked again, and a page that no
consent covers any more is taken off the website (and so off every channel), with an evidence event
and an email to the editors. A new signature is then needed before it goes live again.

Consent never imports the stories app: the rows watched are found from the gated page models' own
fields (foreign keys, many-to-many, tags, and the foreign keys of their child rows), and images in
a StreamField through Wagtail's reference index.
"""

import functools
import logging

from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core import mail

logger = logging.getLogger(__name__)


@functools.cache
def gated_page_models():
    from django.apps import apps

    from .gate import ConsentGatedPageMixin

    return tuple(model for model in apps.get_models() if issubclass(model, ConsentGatedPageMixin))


@functools.cache
def _relations(page_model):
    """``((related model, lookup), ...)``: how ``page_model`` reaches the rows its content shows.

    Its own foreign keys, many-to-many fields and tags (Wagtail's own page fields, such as the
    owner or the locale, show nothing of the story), and the images of its child rows (the planned
    posts).
    """
    from wagtail.images import get_image_model

    found = []
    for field in page_model._meta.get_fields():
        if field.auto_created and not field.concrete and field.one_to_many:
            for child_field in field.related_model._meta.get_fields():
                if child_field.concrete and getattr(child_field, "related_model", None) is get_image_model():
                    found.append((get_image_model(), f"{field.name}__{child_field.name}"))
            continue
        related = getattr(field, "related_model", None)
        if related is None or field.auto_created or field.model._meta.app_label == "wagtailcore":
            continue
        if issubclass(page_model, related):
            continue
        if field.many_to_one or field.many_to_many:
            found.append((related, field.name))
    return tuple(found)


@functools.cache
def _watched_models():
    from wagtail.images import get_image_model

    return frozenset(
        {get_image_model()} | {related for model in gated_page_models() for related, _ in _relations(model)}
    )


def _pages_using(instance):
    """The live consent-gated pages that show ``instance``."""
    from wagtail.images import get_image_model

    pages = {}
    for page_model in gated_page_models():
        lookups = [lookup for related, lookup in _relations(page_model) if isinstance(instance, related)]
        if lookups:
            query = models.Q()
            for lookup in lookups:
                query |= models.Q(**{lookup: instance})
            for page in page_model.objects.filter(query, live=True).distinct():
                pages[page.pk] = page
    if isinstance(instance, get_image_model()):
        from django.contrib.contenttypes.models import ContentType
        from wagtail.models import Page, ReferenceIndex

        page_type = ContentType.objects.get_for_model(Page)
        # ReferenceIndex.object_id is a string column (it holds any model's key); PostgreSQL
        # will not compare it with an integer key, so the ids are converted here.
        refs = ReferenceIndex.get_references_to(instance).filter(base_content_type=page_type)
        ids = [int(object_id) for object_id in refs.values_list("object_id", flat=True) if object_id.isdigit()]
        for page in Page.objects.filter(pk__in=ids, live=True).specific():
            if page.pk not in pages and any(isinstance(page, model) for model in gated_page_models()):
                pages[page.pk] = page
    return list(pages.values())


def watched(sender):
    """True when rows of ``sender`` can be shown by a consent-gated page."""
    return any(issubclass(sender, related) for related in _watched_models())


def recheck_pages_using(instance, *, what, user=None):
    """Check every live gated page that shows ``instance``; take off those no consent covers. Returns them."""
    from .gate import check_consent

    taken_down = []
    for page in _pages_using(instance):
        page = page.specific
        _consent, error = check_consent(page)
        if error is None:
            continue
        take_down(page, what=what, changed=error.changed, reason=error.reason, user=user)
        taken_down.append(page)
    return taken_down


def take_down(page, *, what, changed=(), reason="changed", user=None):
    """Unpublish ``page`` because a row it shows changed; record the evidence and tell the editors."""
    from .evidence import record_event
    from .models import ConsentEvent

    with transaction.atomic():
        page.unpublish(user=user)
        record_event(
            ConsentEvent.Kind.TAKEN_DOWN,
            story_id=page.pk,
            actor=f"user:{user.pk}" if user is not None else "system",
            data={"what": what, "changed": list(changed), "reason": reason},
        )
    logger.warning("Patient story %s taken off: a %s it shows changed and no consent covers it.", page.pk, what)
    transaction.on_commit(lambda: tell_editors(page, what, changed), robust=True)


def _editors_of(page):
    from .models import ConsentRequest

    people = [page.owner] if page.owner_id else []
    for request in ConsentRequest.objects.filter(story_id=page.pk, created_by__isnull=False).select_related(
        "created_by"
    ):
        people.append(request.created_by)
    if not people:
        from django.contrib.auth import get_user_model

        people = list(get_user_model().objects.filter(groups__name="Moderators"))
    return sorted({person.email for person in people if person.email and person.is_active})


def tell_editors(page, what, changed):
    """Email the story's owner and the staff who asked for its consent (no personal data of the patient)."""
    from django.conf import settings

    from .content import FIELD_LABELS

    recipients = _editors_of(page)
    if not recipients:
        return
    context = {
        "id": page.pk,
        "what": WHAT_LABELS.get(what, what),
        "fields": ", ".join(str(FIELD_LABELS.get(name, name)) for name in changed) or "-",
        "url": settings.BASE_URL + f"/admin/pages/{page.pk}/edit/",
    }
    try:
        # In the language of the moment it happened (the editor's, in the admin), as before.
        mail.send("consent/mail/taken_offline", context, recipients, language=translation.get_language())
    except Exception:  # noqa: BLE001 - the story is already off; a mail server that is down must not undo that
        logger.exception("Patient story %s: the editors could not be emailed about its take-down.", page.pk)


WHAT_LABELS = {
    "image": _("image"),
    "storyteller": _("storyteller"),
    "department": _("department"),
    "theme": _("theme"),
    "tag": _("tag"),
}


def on_post_save(sender, instance, created=False, raw=False, **kwargs):
    """``post_save`` of any model: recheck the live patient stories that show ``instance``."""
    if raw or created or not watched(sender):
        return
    what = "image" if hasattr(instance, "get_rendition") else sender._meta.model_name
    what = {"person": "storyteller"}.get(what, what)
    recheck_pages_using(instance, what=what)
