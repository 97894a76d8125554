"""Issue 11, the rule and holes 2-4: everything a channel shows of a patient story is signed.

The SEO title, search description, slug and tags are signed content and shown on the signing
page; replacing an image's file, renaming the storyteller, a department, a theme or a tag takes a
live story offline (with evidence and an email to the editors) unless a consent still covers it.
"""

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from taggit.models import Tag

from consent.content import MANIFEST_VERSION, content_manifest
from consent.gate import ConsentRequired
from consent.models import ConsentEvent
from stories.models import Department, PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/sign/[^/\s]+/)")
DIAGNOSIS = "Anna de Vries (34) heeft hiv"


def publish_signed(page):
    revision = page.save_revision()
    consent = build_consent(page, revision=revision, channels=("website",), allow_photos=True)
    revision.publish()
    page.refresh_from_db()
    assert page.live
    return consent


def jpeg(color):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 800), color).save(buffer, format="JPEG")
    return SimpleUploadedFile("new.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")


def test_manifest_is_version_2_and_holds_every_shown_field(make_patient_story):
    story = make_patient_story(seo_title="SEO", search_description="Desc")
    manifest = content_manifest(story)
    assert MANIFEST_VERSION == 2 and manifest["version"] == 2
    assert manifest["seo_title"] == "SEO" and manifest["search_description"] == "Desc"
    assert manifest["slug"] == story.slug and manifest["tags"] == []


@pytest.mark.parametrize(
    "field, value",
    [("seo_title", DIAGNOSIS), ("search_description", DIAGNOSIS), ("slug", "anna-de-vries-heeft-hiv"), ("tags", None)],
)
def test_shown_fields_changed_after_signing_need_a_new_signature(make_patient_story, field, value):
    story = make_patient_story(title="Mijn verhaal")
    publish_signed(story)
    if field == "tags":
        story.tags.add("hiv", "Anna de Vries")
    else:
        setattr(story, field, value)
    revision = story.save_revision()
    with pytest.raises(ConsentRequired) as refused:
        revision.publish()
    assert refused.value.reason == "changed"
    story.refresh_from_db()
    assert DIAGNOSIS not in (story.seo_title + story.search_description)


def test_signing_page_shows_seo_title_description_address_and_tags(client, make_patient_story, editor):
    story = make_patient_story(
        title="Mijn verhaal", seo_title="Een SEO-titel", search_description="Een zoekbeschrijving", slug="mijn-verhaal"
    )
    story.tags.add("nieuwe knie")
    story.save_revision()
    client.force_login(editor)
    data = {
        "signer_name": "Anna de Vries",
        "signer_email": "anna@example.org",
        "signer_role": "patient",
        "language": "nl",
        "proposed_channels": ["website"],
    }
    assert client.post(f"/admin/consent/request/{story.pk}/", data).status_code == 302
    client.logout()
    page = client.get(LINK.search(mail.outbox[-1].body).group(1)).content.decode()
    assert "Een SEO-titel" in page
    assert "Een zoekbeschrijving" in page
    assert "/mijn-verhaal/" in page
    assert "nieuwe knie" in page


def test_replacing_an_image_file_in_the_admin_takes_the_live_story_off(
    client, make_patient_story, image, superuser, django_capture_on_commit_callbacks
):
    story = make_patient_story(title="Mijn verhaal", hero_image=image, hero_image_alt="Anna op de fiets")
    story.owner = superuser
    publish_signed(story)
    url = story.url
    assert client.get(url).status_code == 200
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/images/{image.pk}/",
            {"title": image.title, "file": jpeg((200, 10, 10)), "collection": image.collection_id, "tags": ""},
        )
    assert response.status_code == 302, response.content[:2000]
    image.refresh_from_db()
    client.logout()
    story.refresh_from_db()
    assert not story.live
    assert client.get(url).status_code == 404
    event = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.TAKEN_DOWN, story_id=story.pk).get()
    assert event.data["what"] == "image" and "hero_image" in event.data["changed"]
    told = [message for message in mail.outbox if "root@example.org" in message.to]
    assert told and "taken off" in told[0].body and "Anna" not in told[0].body


def test_pseudonym_to_real_name_in_the_snippet_editor_takes_the_story_off(
    client, make_patient_story, person, superuser
):
    story = make_patient_story(title="Mijn verhaal", naming="pseudonym")
    publish_signed(story)
    url = story.url
    assert "A." in client.get(url).content.decode()
    client.force_login(superuser)
    response = client.post(
        f"/admin/snippets/stories/person/edit/{person.pk}/",
        {
            "full_name": "Anna de Vries",
            "first_name": "Anna",
            "pseudonym": "Anna de Vries",
            "email": "",
            "birth_date": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    client.logout()
    story.refresh_from_db()
    assert not story.live
    assert client.get(url).status_code == 404
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.TAKEN_DOWN, story_id=story.pk).exists()


def test_editing_what_the_story_does_not_show_keeps_it_live(client, make_patient_story, person, superuser):
    story = make_patient_story(title="Mijn verhaal", naming="pseudonym")
    publish_signed(story)
    client.force_login(superuser)
    response = client.post(
        f"/admin/snippets/stories/person/edit/{person.pk}/",
        {
            "full_name": "Anna de Vries",
            "first_name": "Anna",
            "pseudonym": "A.",
            "email": "a@example.org",
            "birth_date": "",
        },
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.live


def test_renaming_a_department_or_theme_in_the_admin_takes_the_story_off(client, make_patient_story, theme, superuser):
    department = Department.objects.create(name="Cardiologie")
    story = make_patient_story(title="Mijn verhaal", department=department)
    story.themes.add(theme)
    publish_signed(story)
    client.force_login(superuser)
    response = client.post(
        f"/admin/snippets/stories/department/edit/{department.pk}/", {"name": "HIV-poli", "location": ""}
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert not story.live

    other = make_patient_story(title="Ander verhaal")
    other.themes.add(theme)
    publish_signed(other)
    response = client.post(
        f"/admin/snippets/stories/theme/edit/{theme.pk}/",
        {"name": "HIV", "slug": theme.slug, "description": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    other.refresh_from_db()
    assert not other.live


def test_renaming_a_tag_takes_the_story_off(make_patient_story):
    story = make_patient_story(title="Mijn verhaal")
    story.tags.add("knie")
    publish_signed(story)
    tag = Tag.objects.get(name="knie")
    tag.name = "Anna de Vries"
    tag.save()
    story = PatientStoryPage.objects.get(pk=story.pk)
    assert not story.live


def test_a_v1_consent_keeps_covering_what_it_covered_after_the_migration(make_patient_story):
    import importlib

    from django.apps import apps

    from consent.content import V2_FIELDS, hash_manifest, signed_hash
    from consent.gate import is_covered

    upgrade = importlib.import_module("consent.migrations.0004_manifest_v2_cover_shown_fields").upgrade
    story = make_patient_story(title="Mijn verhaal", seo_title="Knie", slug="mijn-knie")
    story.tags.add("knie")
    consent = publish_signed(story)
    # As signed under version 1: without the v2 fields.
    v1 = {key: value for key, value in consent.content_manifest.items() if key not in V2_FIELDS}
    v1["version"] = 1
    type(consent).objects.filter(pk=consent.pk).update(content_manifest=v1, content_hash=hash_manifest(v1))
    assert not is_covered(story)  # what the v2 code would see without the migration

    upgrade(apps, None)
    consent.refresh_from_db()
    assert signed_hash(consent) == hash_manifest(v1)  # the receipt's fingerprint stays what was signed
    assert consent.content_manifest["slug"] == "mijn-knie"
    assert is_covered(story)
    story.seo_title = DIAGNOSIS
    assert not is_covered(story)
