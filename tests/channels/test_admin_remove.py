"""'Remove everywhere': a story's button, the confirmation, and the outcome."""

import pytest
from django.test import Client
from django.urls import reverse

from channels.models import Dispatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]


@pytest.fixture
def story(make_org_story):
    return make_org_story(title="Nieuwe MRI-scanner")


@pytest.fixture
def plain_account(loopnet):
    from channels.models import ChannelAccount

    return ChannelAccount.objects.create(name="Plain page", kind="plainnet", config={"address": "x"})


def remove_url(page):
    return reverse("channels_admin:remove_everywhere", args=[page.pk])


def test_the_button_shows_on_stories_with_posts_out(moderator, story, make_dispatch, client_for):
    client = client_for(moderator)
    edit = reverse("wagtailadmin_pages:edit", args=[story.pk])
    assert remove_url(story) not in client.get(edit).content.decode()
    make_dispatch(story)
    assert remove_url(story) in client.get(edit).content.decode()


def test_the_button_is_hidden_without_unpublish_permission(editor, story, make_dispatch, client_for):
    make_dispatch(story)
    html = client_for(editor).get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    assert remove_url(story) not in html


def test_confirm_then_remove_everywhere(moderator, story, make_dispatch, plain_account, client_for, engine):
    deletable = make_dispatch(story)
    manual = make_dispatch(story, target=plain_account)
    client = client_for(moderator)
    confirm = client.get(remove_url(story)).content.decode()
    assert "Remove" in confirm and "Nieuwe MRI-scanner" in confirm
    assert "Loop (@zorg)" in confirm and "Plain page" in confirm
    assert engine["retract_story"] == []

    done = client.post(remove_url(story)).content.decode()
    assert engine["retract_story"] == [(story.pk, "editor", moderator.pk)]
    deletable.refresh_from_db()
    manual.refresh_from_db()
    assert deletable.retraction == Dispatch.Retraction.RETRACTED
    assert manual.retraction == Dispatch.Retraction.MANUAL
    assert "1 post was removed" in done
    assert "Remove the posts by hand" in done and "https://plain.example/x" in done
    assert reverse("channels_admin:failed") in done


def test_remove_everywhere_refuses_without_permission_and_csrf(editor, moderator, story, make_dispatch, engine):
    make_dispatch(story)
    client = Client()
    client.force_login(editor)
    assert client.get(remove_url(story)).status_code == 403
    assert client.post(remove_url(story)).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    assert strict.post(remove_url(story)).status_code == 403
    assert engine["retract_story"] == []


def test_an_unpublished_story_with_posts_left_can_still_be_cleared(
    moderator, story, make_dispatch, client_for, engine
):
    story.unpublish()
    make_dispatch(story)  # a post left out there (say, its removal is still under way)
    client = client_for(moderator)
    assert remove_url(story) in client.get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    client.post(remove_url(story))
    assert engine["retract_story"] == [(story.pk, "editor", moderator.pk)]


def test_a_story_without_posts_says_so(moderator, story, client_for):
    html = client_for(moderator).get(remove_url(story)).content.decode()
    assert "has no posts on any channel" in html
    assert 'method="post"' not in html.split("has no posts")[1]
