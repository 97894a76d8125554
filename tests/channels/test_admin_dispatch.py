"""The dispatch log, the failed-posts report, Retry and Mark as removed."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import Dispatch, DispatchEvent
from consent.models import ConsentEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]

LOG = "channel_dispatches:index"
FAILED = "channels_admin:failed"


@pytest.fixture
def stories(make_org_story):
    return make_org_story(title="Nieuwe MRI-scanner"), make_org_story(title="Open dag")


@pytest.mark.parametrize("who", ["superuser", "channel_admin", "editor", "moderator"])
def test_staff_may_view_the_log_and_the_report(who, request, stories, make_dispatch, client_for):
    dispatch = make_dispatch(stories[0])
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse(LOG)).status_code == 200
    assert client.get(reverse("channel_dispatches:inspect", args=[dispatch.pk])).status_code == 200
    assert client.get(reverse(FAILED)).status_code == 200
    assert client.get(reverse("channels_admin:calendar")).status_code == 200
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(LOG) in home and reverse(FAILED) in home


def test_without_permission_the_log_and_report_are_refused(nobody, stories, make_dispatch, client_for):
    dispatch = make_dispatch(stories[0])
    client = client_for(nobody)
    for url in (reverse(LOG), reverse("channel_dispatches:inspect", args=[dispatch.pk]), reverse(FAILED)):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    assert client.get(reverse("channels_admin:calendar")).status_code == 403
    assert reverse(LOG) not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_log_is_read_only(editor, stories, make_dispatch, client_for):
    make_dispatch(stories[0])
    html = client_for(editor).get(reverse(LOG)).content.decode()
    assert "/channels/dispatches/edit/" not in html and "/channels/dispatches/delete/" not in html
    assert "/channels/dispatches/new/" not in html


def test_the_log_shows_columns_in_the_organisations_zone(editor, stories, make_dispatch, client_for, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    when = datetime.datetime(2026, 7, 1, 8, 30, tzinfo=datetime.UTC)  # 10:30 in Amsterdam (summer time)
    make_dispatch(stories[0], scheduled_for=when, attempts=2)
    make_dispatch(stories[1], state=Dispatch.State.FAILED, last_error="HTTP 422: status is too long", attempts=1)
    html = client_for(editor).get(reverse(LOG)).content.decode()
    assert "Nieuwe MRI-scanner" in html and "Open dag" in html
    assert "10:30" in html and "08:30" not in html
    assert "HTTP 422: status is too long" in html
    assert "https://loop.example/@zorg/1" in html
    # The story links to the dispatch's detail view.
    first = Dispatch.objects.get(page=stories[0])
    assert reverse("channel_dispatches:inspect", args=[first.pk]) in html


def _titles(client, **params):
    # Only the table: the story filter's options name every story.
    html = client.get(reverse(LOG), params).content.decode()
    html = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return {title for title in ("Nieuwe MRI-scanner", "Open dag") if title in html}


def test_the_log_filters(editor, stories, make_dispatch, make_loop_account, client_for):
    other = make_loop_account(name="Other account")
    mri, open_day = stories
    make_dispatch(mri, scheduled_for=timezone.now() - datetime.timedelta(days=10))
    failed = make_dispatch(open_day, state=Dispatch.State.FAILED, target=other)
    client = client_for(editor)
    assert _titles(client) == {"Nieuwe MRI-scanner", "Open dag"}
    assert _titles(client, state="failed") == {"Open dag"}
    assert _titles(client, account=other.pk) == {"Open dag"}
    assert _titles(client, page=mri.pk) == {"Nieuwe MRI-scanner"}
    since = (timezone.now() - datetime.timedelta(days=2)).date().isoformat()
    assert _titles(client, scheduled_for_from=since) == {"Open dag"}
    failed.retraction = Dispatch.Retraction.MANUAL
    failed.save()
    assert _titles(client, retraction="manual") == {"Open dag"}
    assert _titles(client, retraction="none") == {"Nieuwe MRI-scanner"}


def test_the_detail_view_lists_the_events(editor, stories, make_dispatch, client_for):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED, last_error="HTTP 503")
    DispatchEvent.objects.create(
        dispatch=dispatch, action="publish", outcome="retry", message="HTTP 503", status_code=503
    )
    DispatchEvent.objects.create(
        dispatch=dispatch, action="publish", outcome="failed", message="Gave up after 5 tries"
    )
    html = client_for(editor).get(reverse("channel_dispatches:inspect", args=[dispatch.pk])).content.decode()
    assert "Gave up after 5 tries" in html and "503" in html
    assert reverse("channels_admin:retry", args=[dispatch.pk]) in html


def test_the_report_lists_what_needs_a_person(editor, stories, make_dispatch, make_org_story, client_for):
    mri, open_day = stories
    make_dispatch(mri, state=Dispatch.State.FAILED, last_error="invalid token")
    make_dispatch(open_day, state=Dispatch.State.SENT)
    make_dispatch(make_org_story(title="Gemist bericht"), state=Dispatch.State.MISSED)
    make_dispatch(make_org_story(title="Geblokkeerd"), state=Dispatch.State.BLOCKED)
    make_dispatch(make_org_story(title="Handmatig weg"), retraction=Dispatch.Retraction.MANUAL)
    make_dispatch(make_org_story(title="Weghalen mislukt"), retraction=Dispatch.Retraction.FAILED)
    html = client_for(editor).get(reverse(FAILED)).content.decode()
    for title in ("Nieuwe MRI-scanner", "Gemist bericht", "Geblokkeerd", "Handmatig weg", "Weghalen mislukt"):
        assert title in html
    assert "Open dag" not in html
    assert "invalid token" in html
    assert html.count(">Mark as removed<") == 2


def test_retry_requeues_a_failed_post(editor, stories, make_dispatch, client_for, engine):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED)
    response = client_for(editor).post(reverse("channels_admin:retry", args=[dispatch.pk]), follow=True)
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.QUEUED
    assert engine["retry"] == [(dispatch.pk, editor.pk)]
    assert "is queued again" in response.content.decode()
    # Back on the report, where it no longer appears.
    assert response.redirect_chain[-1][0] == reverse(FAILED)
    assert "Nieuwe MRI-scanner" not in response.content.decode().split("is queued again")[1]


def test_retry_refuses_get_and_missing_permission_and_csrf(nobody, editor, stories, make_dispatch, client_for, engine):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED)
    url = reverse("channels_admin:retry", args=[dispatch.pk])
    assert client_for(editor).get(url).status_code == 405
    assert client_for(nobody).post(url).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(url).status_code == 403
    assert engine["retry"] == []
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.FAILED


def test_a_sent_post_is_not_retried(editor, stories, make_dispatch, client_for, engine):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.SENT)
    response = client_for(editor).post(reverse("channels_admin:retry", args=[dispatch.pk]), follow=True)
    assert engine["retry"] == []
    assert "nothing to retry" in response.content.decode()


def test_retry_returns_to_a_safe_next_url_only(editor, stories, make_dispatch, client_for, engine):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED)
    url = reverse("channels_admin:retry", args=[dispatch.pk])
    response = client_for(editor).post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse(FAILED)


def test_mark_as_removed_records_it_everywhere(editor, make_patient_story, make_dispatch, client_for):
    story = make_patient_story(title="Het verhaal van Anna")
    dispatch = make_dispatch(
        story,
        retraction=Dispatch.Retraction.MANUAL,
        manual_removal_url="https://loop.example/@zorg/1",
        patient_story_id=story.pk,
    )
    response = client_for(editor).post(reverse("channels_admin:mark_removed", args=[dispatch.pk]), follow=True)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Dispatch.Retraction.RETRACTED
    assert dispatch.retracted_at is not None
    event = dispatch.events.get()
    assert (event.action, event.outcome, event.actor) == ("retract", "retracted", editor)
    evidence = ConsentEvent.objects.get(kind=ConsentEvent.Kind.RETRACTED)
    assert evidence.story_id == story.pk
    assert str(editor.pk) in evidence.actor
    assert evidence.data["channel"] == dispatch.channel_key and evidence.data["manual"] is True
    assert "is recorded as removed" in response.content.decode()


def test_retry_says_why_the_engine_refuses(editor, stories, make_dispatch, client_for):
    # The real engine: a post being removed is never sent again.
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED, retraction=Dispatch.Retraction.PENDING)
    response = client_for(editor).post(reverse("channels_admin:retry", args=[dispatch.pk]), follow=True)
    assert "It cannot be retried" in response.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.FAILED


def test_mark_as_removed_only_for_posts_waiting_for_it(editor, nobody, stories, make_dispatch, client_for):
    waiting = make_dispatch(stories[0], retraction=Dispatch.Retraction.MANUAL)
    sent = make_dispatch(stories[1])
    assert client_for(nobody).post(reverse("channels_admin:mark_removed", args=[waiting.pk])).status_code == 403
    assert client_for(editor).get(reverse("channels_admin:mark_removed", args=[waiting.pk])).status_code == 405
    client_for(editor).post(reverse("channels_admin:mark_removed", args=[sent.pk]))
    sent.refresh_from_db()
    waiting.refresh_from_db()
    assert sent.retraction == "" and waiting.retraction == Dispatch.Retraction.MANUAL
    assert not ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED).exists()


def test_the_report_exports_without_secrets(editor, stories, make_dispatch, client_for):
    from .admin_fixtures import GOOD_TOKEN

    make_dispatch(stories[0], state=Dispatch.State.FAILED, last_error="HTTP 401")
    response = client_for(editor).get(reverse(FAILED), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Nieuwe MRI-scanner" in body and b"HTTP 401" in body
    assert GOOD_TOKEN.encode() not in body


# Mark as sent


@pytest.fixture
def viewer(django_user_model):
    """May read the dispatch log, but not act on it (no ``change_dispatch``)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="viewer", password="pw")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="vertel_channels", codename="view_dispatch"),
    )
    return user


POST_URL = "https://loop.example/@zorg/777"


def test_mark_as_sent_keeps_the_address_so_the_post_can_be_removed(editor, stories, make_dispatch, client_for):
    from channels.retraction import retract_story, run_retraction

    dispatch = make_dispatch(
        stories[0], state=Dispatch.State.FAILED, last_error="Outcome unknown", remote_id="", remote_url=""
    )
    client = client_for(editor)
    # The report and the detail view offer it, with a field for the post's address.
    for page in (reverse(FAILED), reverse("channel_dispatches:inspect", args=[dispatch.pk])):
        html = client.get(page).content.decode()
        form = html.split(f'action="{reverse("channels_admin:mark_sent", args=[dispatch.pk])}"', 1)[1]
        assert 'name="remote_url"' in form.split("</form>", 1)[0]
    response = client.post(
        reverse("channels_admin:mark_sent", args=[dispatch.pk]), {"remote_url": POST_URL}, follow=True
    )
    assert "is recorded as sent" in response.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT and dispatch.remote_url == POST_URL and dispatch.sent_at
    event = dispatch.events.get(action="manual")
    assert (event.outcome, event.actor) == ("sent", editor)
    # Removing the story later finds the post; with no id from the network, a person removes it there.
    assert retract_story(stories[0], reason="editor") == [dispatch.pk]
    run_retraction(dispatch.pk)
    dispatch.refresh_from_db()
    assert dispatch.retraction == Dispatch.Retraction.MANUAL
    assert dispatch.manual_removal_url == POST_URL


@pytest.mark.parametrize("address", ["not an address", "javascript:alert(1)", "ftp://loop.example/post", ""])
def test_mark_as_sent_needs_a_web_address(editor, stories, make_dispatch, client_for, address):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED)
    response = client_for(editor).post(
        reverse("channels_admin:mark_sent", args=[dispatch.pk]), {"remote_url": address}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["remote_url"]
    assert 'aria-invalid="true"' in response.content.decode()
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.FAILED
    assert not dispatch.events.filter(action="manual").exists()


def test_mark_as_sent_refuses_without_permission_and_csrf(viewer, nobody, editor, stories, make_dispatch, client_for):
    dispatch = make_dispatch(stories[0], state=Dispatch.State.FAILED)
    url = reverse("channels_admin:mark_sent", args=[dispatch.pk])
    # Whoever may only read the log sees no button and is refused.
    html = client_for(viewer).get(reverse("channel_dispatches:inspect", args=[dispatch.pk])).content.decode()
    assert url not in html
    assert client_for(viewer).post(url, {"remote_url": POST_URL}).status_code == 403
    assert client_for(nobody).post(url, {"remote_url": POST_URL}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(url, {"remote_url": POST_URL}).status_code == 403
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.FAILED and dispatch.remote_url == ""


@pytest.mark.parametrize("state", [Dispatch.State.BLOCKED, Dispatch.State.SENT, Dispatch.State.CANCELLED])
def test_only_failed_or_missed_posts_can_be_marked_as_sent(editor, stories, make_dispatch, client_for, state):
    dispatch = make_dispatch(stories[0], state=state)
    before = (dispatch.state, dispatch.remote_url)
    html = client_for(editor).get(reverse("channel_dispatches:inspect", args=[dispatch.pk])).content.decode()
    assert reverse("channels_admin:mark_sent", args=[dispatch.pk]) not in html
    response = client_for(editor).post(
        reverse("channels_admin:mark_sent", args=[dispatch.pk]), {"remote_url": POST_URL}, follow=True
    )
    assert "Only a failed or missed post can be marked as sent." in response.content.decode()
    dispatch.refresh_from_db()
    assert (dispatch.state, dispatch.remote_url) == before
