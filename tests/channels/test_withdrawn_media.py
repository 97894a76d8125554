"""Issue 11, hole 12: after a withdrawal the story's photos are no longer served at their media URLs.

A web server serves ``MEDIA_ROOT`` at ``MEDIA_URL`` (Django's ``static.serve`` in development):
the original and every rendition of the story's images must be gone from there, the original kept
privately so its hash still proves what was signed, and an image another live page uses must stay.
"""

import hashlib

import pytest
from django.conf import settings
from django.http import Http404
from django.test import RequestFactory
from django.views.static import serve

from consent.services import withdraw
from tests.conftest import make_image

from .dispatch_support import publish, publish_with_consent

pytestmark = pytest.mark.django_db


def served(url):
    """The bytes a request for ``url`` gets from the media server, or None for a 404."""
    path = url.removeprefix(settings.MEDIA_URL)
    try:
        response = serve(RequestFactory().get(url), path, document_root=settings.MEDIA_ROOT)
    except Http404:
        return None
    return b"".join(response.streaming_content)


def test_withdrawal_takes_the_story_photos_off_their_public_addresses(
    make_patient_story, make_org_story, django_capture_on_commit_callbacks
):
    photo = make_image("Anna in de tuin")
    shared = make_image("Het gebouw", color=(10, 200, 10))
    story = make_patient_story(
        title="Mijn herstel",
        hero_image=photo,
        hero_image_alt="Anna in de tuin",
        body=[
            ("paragraph", "<p>Ik werd goed geholpen.</p>"),
            ("image", {"image": shared, "alt": "Het gebouw", "caption": ""}),
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        consent = publish_with_consent(story, ["website"], allow_photos=True)
    other = make_org_story(title="Open dag", publish=False, hero_image=shared, hero_image_alt="Het gebouw")
    publish(other)
    assert story.live and other.live

    original = photo.file.url
    renditions = [photo.get_rendition(spec).url for spec in ("fill-300x200", "width-800|format-webp")]
    shared_urls = [shared.file.url, shared.get_rendition("fill-300x200").url]
    with photo.file.open("rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert all(served(url) for url in [original, *renditions, *shared_urls])

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)

    for url in [original, *renditions]:
        assert served(url) is None, f"{url} is still public after the withdrawal"
    # The image another live page shows stays.
    assert all(served(url) for url in shared_urls)
    # The evidence still holds: the original is kept privately, with the hash that was signed.
    from channels.media import _private_name, private_storage

    with private_storage().open(_private_name(photo), "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == digest
    assert not str(private_storage().location).startswith(str(settings.MEDIA_ROOT))
