"""The password form of a restricted page: any ``return_url`` ends at a page of this site, never a 500."""

import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(story_index, make_org_story):
    story = make_org_story(title="Alleen voor personeel")
    restriction = PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.PASSWORD, password="geheim"
    )
    url = reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, story.pk])
    return story, url


def test_the_right_password_opens_the_page_it_was_asked_for(client, restricted):
    story, url = restricted
    assert "Alleen voor personeel" not in client.get(story.url).content.decode()

    response = client.post(url, {"password": "geheim", "return_url": story.url})

    assert response.status_code == 302 and response["Location"] == story.url
    assert "Alleen voor personeel" in client.get(story.url).content.decode()


@pytest.mark.parametrize(
    "return_url", ["0", "home", "https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_a_return_address_that_is_not_a_path_here_leads_to_the_page_itself(client, restricted, return_url):
    story, url = restricted

    response = client.post(url, {"password": "geheim", "return_url": return_url})

    assert response.status_code == 302
    assert response["Location"] == story.url


def test_another_path_on_the_site_is_kept(client, restricted, story_index):
    _story, url = restricted
    response = client.post(url, {"password": "geheim", "return_url": story_index.url})
    assert response.status_code == 302 and response["Location"] == story_index.url


def test_a_wrong_password_shows_the_form_again(client, restricted):
    story, url = restricted
    response = client.post(url, {"password": "fout", "return_url": "0"})
    assert response.status_code == 200
    assert "Alleen voor personeel" not in client.get(story.url).content.decode()
