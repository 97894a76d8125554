"""A truncated JPEG uploaded through the admin gets a form error and creates no image (no 500 at rendition time)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image as PILImage
from PIL import ImageFile
from wagtail.images import get_image_model
from wagtail.models import Collection

pytestmark = pytest.mark.django_db

DAMAGED = "damaged or incomplete"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    with translation.override("en"):
        yield


@pytest.fixture
def admin_client(client, superuser):  # noqa: F811
    client.force_login(superuser)
    return client


def jpeg_bytes(size=(640, 480)):
    buffer = io.BytesIO()
    # Noise-like content, so the scan data is long and the cut lands well inside it.
    image = PILImage.radial_gradient("L").resize(size).convert("RGB")
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def truncated_jpeg():
    data = jpeg_bytes()
    return data[: len(data) // 2]


def upload(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_the_truncated_file_passes_wagtails_header_check_but_does_not_decode():
    # The premise: the header is intact (Willow and PIL.Image.open accept it), only decoding fails.
    assert not ImageFile.LOAD_TRUNCATED_IMAGES
    image = PILImage.open(io.BytesIO(truncated_jpeg()))
    assert image.format == "JPEG" and image.size == (640, 480)
    with pytest.raises(OSError):
        image.load()


def test_add_view_refuses_a_truncated_jpeg(admin_client):
    response = admin_client.post(
        reverse("wagtailimages:add"), {"title": "Kapot", "file": upload(truncated_jpeg()), "collection": ""}
    )
    assert response.status_code == 200
    assert DAMAGED in response.content.decode()
    assert not get_image_model().objects.exists()


def test_add_view_accepts_a_valid_jpeg_and_renditions_work(admin_client):
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Heel", "file": upload(jpeg_bytes())})
    assert response.status_code == 302
    image = get_image_model().objects.get()
    assert image.title == "Heel" and (image.width, image.height) == (640, 480)
    # The file was read back to its start after the check: the stored copy is complete.
    with image.open_file() as stored:
        assert stored.read() == jpeg_bytes()
    assert image.get_rendition("fill-100x100").width == 100


def test_multiple_upload_refuses_a_truncated_jpeg_with_a_json_error(admin_client):
    response = admin_client.post(reverse("wagtailimages:add_multiple"), {"files[]": upload(truncated_jpeg())})
    assert response.status_code == 200
    data = response.json()
    assert data["success"] is False and DAMAGED in data["error_message"]
    assert not get_image_model().objects.exists()


def test_multiple_upload_accepts_a_valid_jpeg(admin_client):
    response = admin_client.post(reverse("wagtailimages:add_multiple"), {"files[]": upload(jpeg_bytes())})
    assert response.status_code == 200
    data = response.json()
    assert data["success"] is True
    assert get_image_model().objects.filter(pk=data["image_id"]).exists()


def test_chooser_upload_refuses_a_truncated_jpeg(admin_client):
    response = admin_client.post(
        reverse("wagtailimages_chooser:create"),
        {"image-chooser-upload-title": "Kapot", "image-chooser-upload-file": upload(truncated_jpeg())},
    )
    assert response.status_code == 200
    assert DAMAGED in response.content.decode()
    assert not get_image_model().objects.exists()


def test_replacing_an_image_file_with_a_truncated_jpeg_is_refused(admin_client):
    admin_client.post(reverse("wagtailimages:add"), {"title": "Heel", "file": upload(jpeg_bytes())})
    image = get_image_model().objects.get()
    old_name = image.file.name
    response = admin_client.post(
        reverse("wagtailimages:edit", args=[image.pk]), {"title": "Heel", "file": upload(truncated_jpeg())}
    )
    assert response.status_code == 200 and DAMAGED in response.content.decode()
    image.refresh_from_db()
    assert image.file.name == old_name
    # Editing without a new file is not affected by the check.
    response = admin_client.post(reverse("wagtailimages:edit", args=[image.pk]), {"title": "Nog heel"})
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "Nog heel" and image.file.name == old_name


def test_the_error_is_translated(admin_client, superuser):  # noqa: F811
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "nl"
    profile.save()
    response = admin_client.post(reverse("wagtailimages:add"), {"title": "Kapot", "file": upload(truncated_jpeg())})
    assert response.status_code == 200
    assert "beschadigd of onvolledig" in response.content.decode()
    assert not get_image_model().objects.exists()
