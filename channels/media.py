"""After a withdrawal, the story's photos stop being public at their media addresses.

A withdrawn story leaves the site, but its images stay reachable at ``MEDIA_URL`` (the original
and every rendition), and those addresses are in sent newsletters, og:image tags and posts. When
the story is no longer live, each image it shows (hero image, images in the text, images of its
planned posts) that no other live page uses loses its renditions (rows and files), and its
original file moves out of the public media storage into a private one
(``VERTEL["PRIVATE_MEDIA_ROOT"]``, default ``<MEDIA_ROOT>/../private-media``), so the evidence (the
hashes in the consent manifests) can still be checked against the file. ``restore_story_media``
moves them back when the story is published again with a new signature.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

logger = logging.getLogger(__name__)


def private_storage():
    root = settings.VERTEL.get("PRIVATE_MEDIA_ROOT") or Path(settings.MEDIA_ROOT).parent / "private-media"
    return FileSystemStorage(location=str(root), base_url=None)


def _private_name(image):
    return f"withdrawn-images/{image.pk}/{Path(image.file.name).name}"


def story_images(page):
    """The images ``page`` shows, through Wagtail's reference index (fields, text blocks, post plans)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.images import get_image_model
    from wagtail.models import ReferenceIndex

    image_model = get_image_model()
    image_type = ContentType.objects.get_for_model(image_model)
    ids = set(
        ReferenceIndex.get_references_for_object(page)
        .filter(to_content_type=image_type)
        .values_list("to_object_id", flat=True)
    )
    if getattr(page, "hero_image_id", None):
        ids.add(str(page.hero_image_id))
    return list(image_model.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()]))


def used_elsewhere(image, page):
    """True when something other than ``page`` (and its aliases) that is live, or is not a page, uses ``image``."""
    from wagtail.models import Page, ReferenceIndex

    for base_type, base_id in (
        ReferenceIndex.get_references_to(image).values_list("base_content_type", "object_id").distinct()
    ):
        from django.contrib.contenttypes.models import ContentType

        model = ContentType.objects.get_for_id(base_type).model_class()
        if model is None:
            continue
        if issubclass(model, Page):
            other = Page.objects.filter(pk=base_id).first()
            if other is None or other.pk == page.pk or other.alias_of_id == page.pk:
                continue
            if other.live:
                return True
            continue
        return True  # a snippet or setting shows it: keep it
    return False


def hide_story_media(page):
    """Make the images of a withdrawn story unreachable at their public addresses; return their ids."""
    page = page.specific
    if page.live:
        return []
    hidden = []
    for image in story_images(page):
        if used_elsewhere(image, page):
            continue
        for rendition in list(image.renditions.all()):
            try:
                rendition.file.storage.delete(rendition.file.name)
            except Exception:  # noqa: BLE001 - a missing file is what we want
                logger.warning("Rendition %s of image %s could not be deleted.", rendition.pk, image.pk)
            rendition.delete()
        storage = image.file.storage
        name = image.file.name
        if name and storage.exists(name):
            private = private_storage()
            target = _private_name(image)
            with storage.open(name, "rb") as handle:
                data = handle.read()
            if private.exists(target):
                private.delete(target)
            private.save(target, ContentFile(data))
            storage.delete(name)
        hidden.append(image.pk)
    if hidden:
        logger.info("Story %s withdrawn: %s images taken off the public media storage.", page.pk, len(hidden))
    return hidden


def restore_story_media(page):
    """Put the images of a story published again back where they were; return their ids."""
    restored = []
    private = private_storage()
    for image in story_images(page.specific):
        target = _private_name(image)
        if image.file.name and not image.file.storage.exists(image.file.name) and private.exists(target):
            with private.open(target, "rb") as handle:
                image.file.storage.save(image.file.name, ContentFile(handle.read()))
            private.delete(target)
            restored.append(image.pk)
    return restored
