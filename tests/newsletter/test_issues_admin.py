"""The issue admin: consent gate in the form, starting from recent stories, preview, test mail, sending."""

import datetime
import json

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from newsletter.models import NewsletterIssue, Subscriber

pytestmark = pytest.mark.django_db

EMPTY_RICH_TEXT = json.dumps({"blocks": [], "entityMap": {}})


@pytest.fixture
def newsletter_editor(django_user_model):
    user = django_user_model.objects.create_user(username="nl-editor", password="pw", email="nl-editor@example.org")
    user.groups.add(Group.objects.get(name="Newsletter editors"))
    return user


def issue_post(stories, title="Nieuwsbrief juni"):
    data = {
        "language": "nl",
        "title": title,
        "intro": EMPTY_RICH_TEXT,
        "items-TOTAL_FORMS": str(len(stories)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, story in enumerate(stories):
        data[f"items-{n}-story"] = str(story.pk)
        data[f"items-{n}-ORDER"] = str(n + 1)
        data[f"items-{n}-id"] = ""
        data[f"items-{n}-DELETE"] = ""
    return data


def test_gate_refuses_a_story_without_newsletter_consent(client, newsletter_editor, consented_story, make_org_story):
    client.force_login(newsletter_editor)
    website_only, _ = consented_story(title="Alleen op de website", channels=("website",))
    ok, _ = consented_story(title="Ook in de nieuwsbrief")
    org = make_org_story(title="Nieuws")
    response = client.post("/admin/newsletter_issues/new/", issue_post([website_only, ok, org]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alleen op de website" in html and "consent does not cover the newsletter" in html
    assert not NewsletterIssue.objects.exists()

    response = client.post("/admin/newsletter_issues/new/", issue_post([ok, org]))
    assert response.status_code == 302
    issue = NewsletterIssue.objects.get()
    assert [item.story_id for item in issue.items.order_by("sort_order")] == [ok.pk, org.pk]


# Every newsletter view of the admin, with the methods it answers; "{issue}" and "{subscriber}" are filled in.
ADMIN_VIEWS = [
    ("newsletter_import", "/admin/newsletter/import/", ["get", "post"]),
    # Refused before the import is looked up, so any id will do.
    ("newsletter_import_progress", "/admin/newsletter/import/1/", ["get"]),
    ("newsletter_import_progress_json", "/admin/newsletter/import/1/progress/", ["get"]),
    ("newsletter_import_resume", "/admin/newsletter/import/1/resume/", ["post"]),
    ("newsletter_from_recent", "/admin/newsletter/issues/from-recent/", ["get", "post"]),
    ("newsletter_issue_send", "/admin/newsletter/issues/{issue}/send/", ["get"]),
    ("newsletter_issue_test", "/admin/newsletter/issues/{issue}/send/test/", ["post"]),
    ("newsletter_issue_send_now", "/admin/newsletter/issues/{issue}/send/now/", ["get", "post"]),
    ("newsletter_issue_schedule", "/admin/newsletter/issues/{issue}/send/later/", ["post"]),
    ("newsletter_issue_unschedule", "/admin/newsletter/issues/{issue}/send/cancel/", ["post"]),
    ("newsletter_issue_retry_failed", "/admin/newsletter/issues/{issue}/send/retry-failed/", ["post"]),
    ("newsletter_issue_resolve_unknown", "/admin/newsletter/issues/{issue}/send/unknown/", ["post"]),
    ("newsletter_issue_progress", "/admin/newsletter/issues/{issue}/progress/", ["get"]),
    ("newsletter_issue_preview", "/admin/newsletter/issues/{issue}/preview/", ["get"]),
    ("newsletter_issues:index", "/admin/newsletter_issues/", ["get"]),
    ("newsletter_issues:index_results", "/admin/newsletter_issues/results/", ["get"]),
    ("newsletter_issues:add", "/admin/newsletter_issues/new/", ["get", "post"]),
    ("newsletter_issues:edit", "/admin/newsletter_issues/edit/{issue}/", ["get", "post"]),
    ("newsletter_issues:delete", "/admin/newsletter_issues/delete/{issue}/", ["get", "post"]),
    ("newsletter_issues:history", "/admin/newsletter_issues/history/{issue}/", ["get"]),
    ("newsletter_issues:history_results", "/admin/newsletter_issues/history-results/{issue}/", ["get"]),
    ("newsletter_issues:usage", "/admin/newsletter_issues/usage/{issue}/", ["get"]),
    ("newsletter_issues:copy", "/admin/newsletter_issues/copy/{issue}/", ["get", "post"]),
    ("newsletter_subscribers:index", "/admin/newsletter_subscribers/", ["get"]),
    ("newsletter_subscribers:index", "/admin/newsletter_subscribers/?export=csv", ["get"]),
    ("newsletter_subscribers:index", "/admin/newsletter_subscribers/?export=xlsx", ["get"]),
    ("newsletter_subscribers:index_results", "/admin/newsletter_subscribers/results/", ["get"]),
    ("newsletter_subscribers:add", "/admin/newsletter_subscribers/new/", ["get", "post"]),
    ("newsletter_subscribers:edit", "/admin/newsletter_subscribers/edit/{subscriber}/", ["get", "post"]),
    ("newsletter_subscribers:delete", "/admin/newsletter_subscribers/delete/{subscriber}/", ["get", "post"]),
    ("newsletter_subscribers:history", "/admin/newsletter_subscribers/history/{subscriber}/", ["get"]),
    ("newsletter_subscribers:history_results", "/admin/newsletter_subscribers/history-results/{subscriber}/", ["get"]),
    ("newsletter_subscribers:usage", "/admin/newsletter_subscribers/usage/{subscriber}/", ["get"]),
    ("newsletter_subscribers:inspect", "/admin/newsletter_subscribers/inspect/{subscriber}/", ["get"]),
]


def newsletter_admin_url_names():
    from django.urls import URLResolver, get_resolver

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                yield from walk(pattern.url_patterns, inner)
            elif pattern.name:
                yield ":".join(part for part in (namespace, pattern.name) if part)

    return {name for name in walk(get_resolver().url_patterns) if name.startswith("newsletter_")}


def test_the_refusal_test_covers_every_newsletter_admin_view():
    assert newsletter_admin_url_names() == {name for name, _url, _methods in ADMIN_VIEWS}


@pytest.mark.parametrize(
    ("url", "method"),
    [(url, method) for _name, url, methods in ADMIN_VIEWS for method in methods],
    ids=[
        f"{method}-{name}{'-' + url.split('=')[-1] if '=' in url else ''}"
        for name, url, methods in ADMIN_VIEWS
        for method in methods
    ],
)
def test_editors_without_the_newsletter_permissions_are_refused(
    client, editor, make_issue, make_subscriber, url, method
):
    """A Wagtail editor (pages, images) who is not a newsletter editor can neither see nor change anything."""
    client.force_login(editor)
    issue = make_issue(status=NewsletterIssue.Status.DRAFT)
    subscriber = make_subscriber(email="private@example.org")
    NewsletterIssue.objects.filter(pk=issue.pk).update(title="Ongewijzigd")
    url = url.format(issue=issue.pk, subscriber=subscriber.pk)
    data = {"title": "Anders", "decision": "resend", "send_at": "2099-01-01T10:00", "language": "nl"}
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # Refused: Wagtail's 403, or its redirect to the dashboard with "Sorry, you do not have permission".
    assert response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/"), (
        response.status_code,
        response.get("Location"),
    )
    assert b"private@example.org" not in body
    issue.refresh_from_db()
    assert (issue.status, issue.title) == (NewsletterIssue.Status.DRAFT, "Ongewijzigd")
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["private@example.org"]
    assert NewsletterIssue.objects.count() == 1 and not mail.outbox


def test_newsletter_editors_can_use_the_newsletter_admin_but_not_export_or_delete(
    client, newsletter_editor, make_issue, make_subscriber
):
    client.force_login(newsletter_editor)
    issue = make_issue(status=NewsletterIssue.Status.DRAFT)
    subscriber = make_subscriber()
    for url in (
        "/admin/newsletter_issues/",
        f"/admin/newsletter_issues/edit/{issue.pk}/",
        f"/admin/newsletter/issues/{issue.pk}/send/",
        f"/admin/newsletter/issues/{issue.pk}/progress/",
        "/admin/newsletter_subscribers/",
        f"/admin/newsletter_subscribers/inspect/{subscriber.pk}/",
        "/admin/newsletter/import/",
    ):
        assert client.get(url).status_code == 200, url
    # Deleting and exporting addresses are granted separately, to whoever needs them.
    assert client.get("/admin/newsletter_subscribers/?export=csv")["Location"] == "/admin/"
    assert client.post(f"/admin/newsletter_subscribers/delete/{subscriber.pk}/")["Location"] == "/admin/"
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_an_issue_title_with_a_line_break_is_refused_by_the_form_and_the_model(
    client, newsletter_editor, make_org_story
):
    from django.core.exceptions import ValidationError

    client.force_login(newsletter_editor)
    org = make_org_story(title="Nieuws")
    response = client.post("/admin/newsletter_issues/new/", issue_post([org], title="Nieuws\r\nBcc: all@example.org"))
    assert response.status_code == 200 and "without line breaks" in response.content.decode()
    assert not NewsletterIssue.objects.exists()
    with pytest.raises(ValidationError):
        NewsletterIssue(language="nl", title="Nieuws\nBcc: all@example.org").full_clean()


def test_from_recent_stories_leaves_out_what_consent_does_not_cover(
    client, newsletter_editor, consented_story, make_org_story
):
    client.force_login(newsletter_editor)
    covered, _ = consented_story(title="Gedekt")
    uncovered, _ = consented_story(title="Niet gedekt", channels=("website",))
    org = make_org_story(title="Nieuws")
    response = client.post("/admin/newsletter/issues/from-recent/", {"language": "nl"}, follow=True)
    assert response.status_code == 200
    issue = NewsletterIssue.objects.get()
    assert set(issue.items.values_list("story_id", flat=True)) == {covered.pk, org.pk}
    assert "Niet gedekt" in response.content.decode()
    assert uncovered.pk not in issue.items.values_list("story_id", flat=True)


def test_preview_test_mail_and_send_now(client, newsletter_editor, consented_story, make_issue, make_subscriber):
    client.force_login(newsletter_editor)
    story, _ = consented_story(title="Mijn weg terug")
    issue = make_issue([story], status=NewsletterIssue.Status.DRAFT)
    reader = make_subscriber()
    preview = client.get(f"/admin/newsletter/issues/{issue.pk}/preview/")
    assert preview.status_code == 200 and "Mijn weg terug" in preview.content.decode()
    page = client.get(f"/admin/newsletter/issues/{issue.pk}/send/")
    assert page.status_code == 200 and "1 subscriber will receive" in page.content.decode()

    client.post(f"/admin/newsletter/issues/{issue.pk}/send/test/")
    assert [m.to for m in mail.outbox] == [["nl-editor@example.org"]]
    assert mail.outbox[0].subject.startswith("[TEST]")

    from django.test import TestCase

    # The button leads to a question naming the issue and how many people it goes to.
    question = client.get(f"/admin/newsletter/issues/{issue.pk}/send/now/").content.decode()
    assert "Send “Nieuwsbrief mei” to 1 subscriber now?" in question and 'name="confirm" value="yes"' in question
    # A POST without the confirmation sends nothing; it only asks again.
    with TestCase.captureOnCommitCallbacks(execute=True):
        stray = client.post(f"/admin/newsletter/issues/{issue.pk}/send/now/")
    assert stray.status_code == 200 and "Nothing was sent" in stray.content.decode()
    assert NewsletterIssue.objects.get(pk=issue.pk).status == NewsletterIssue.Status.DRAFT and len(mail.outbox) == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/newsletter/issues/{issue.pk}/send/now/", {"confirm": "yes"})
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.SENT  # the test settings run tasks at once
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [reader.email]
    progress = client.get(f"/admin/newsletter/issues/{issue.pk}/progress/").json()
    assert progress["sent"] == 1 and progress["remaining"] == 0 and progress["status"] == "sent"
    # A sent issue can no longer be changed.
    response = client.post(f"/admin/newsletter_issues/edit/{issue.pk}/", issue_post([story], title="Anders"))
    assert NewsletterIssue.objects.get().title == "Nieuwsbrief mei"
    assert response.status_code == 200


def test_schedule_and_the_periodic_sweep(client, newsletter_editor, consented_story, make_issue, make_subscriber):
    import datetime

    from django.utils import timezone

    from newsletter.periodic import sweep_sending

    client.force_login(newsletter_editor)
    story, _ = consented_story()
    issue = make_issue([story], status=NewsletterIssue.Status.DRAFT)
    make_subscriber()
    later = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/admin/newsletter/issues/{issue.pk}/send/later/", {"send_at": later})
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.SCHEDULED
    assert sweep_sending() == [] and not mail.outbox
    assert sweep_sending(now=timezone.now() + datetime.timedelta(hours=3)) == [issue.pk]
    # The immediate backend ran it; but the issue is due only later, so nothing was sent yet.
    assert not mail.outbox
    NewsletterIssue.objects.filter(pk=issue.pk).update(scheduled_at=timezone.now())
    sweep_sending()
    assert len(mail.outbox) == 1
    assert NewsletterIssue.objects.get(pk=issue.pk).status == NewsletterIssue.Status.SENT


def test_send_now_refuses_an_issue_whose_stories_fail_the_consent_check(
    client, newsletter_editor, consented_story, make_issue, make_subscriber
):
    from django.test import TestCase

    client.force_login(newsletter_editor)
    website_only, _ = consented_story(channels=("website",))  # its row is there; its consent does not cover this
    issue = make_issue([website_only], status=NewsletterIssue.Status.DRAFT)
    make_subscriber()
    page = client.get(f"/admin/newsletter/issues/{issue.pk}/send/").content.decode()
    assert "cannot go out without one" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/admin/newsletter/issues/{issue.pk}/send/now/", {"confirm": "yes"}, follow=True)
    assert "No story in this issue may be sent" in response.content.decode()
    later = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/admin/newsletter/issues/{issue.pk}/send/later/", {"send_at": later})
    assert NewsletterIssue.objects.get(pk=issue.pk).status == NewsletterIssue.Status.DRAFT
    assert not mail.outbox


def sent_issue_with(make_issue, story, rows):
    from newsletter.models import Delivery

    issue = make_issue([story], status=NewsletterIssue.Status.SENT)
    NewsletterIssue.objects.filter(pk=issue.pk).update(
        sent_at=timezone.now(), send_started_at=timezone.now(), recipients_listed=True
    )
    for subscriber, status in rows:
        Delivery.objects.create(issue=issue, subscriber=subscriber, status=status, error="550 Mailbox unknown")
    return issue


def test_failed_messages_can_be_retried_from_the_admin(
    client, newsletter_editor, consented_story, make_issue, make_subscriber
):
    from django.test import TestCase
    from wagtail.models import ModelLogEntry

    from newsletter.models import Delivery

    client.force_login(newsletter_editor)
    story, _ = consented_story(title="Mijn weg terug")
    reached, failed = make_subscriber(), make_subscriber()
    issue = sent_issue_with(make_issue, story, [(reached, "sent"), (failed, "failed")])
    page = client.get(f"/admin/newsletter/issues/{issue.pk}/send/").content.decode()
    assert "Retry the failed messages" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/newsletter/issues/{issue.pk}/send/retry-failed/")
    assert [message.to for message in mail.outbox] == [[failed.email]]  # and not the reader already reached
    assert Delivery.objects.get(subscriber=failed).status == Delivery.Status.SENT
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.SENT
    assert ModelLogEntry.objects.filter(action="newsletter.retry_failed", object_id=str(issue.pk)).exists()
    # The archive kept listing it all along.
    assert client.get(f"/nl/newsletter/archive/{issue.pk}/").status_code == 200


@pytest.mark.parametrize("decision", ["resend", "mark_sent"])
def test_an_editor_decides_about_messages_of_unknown_fate(
    client, newsletter_editor, consented_story, make_issue, make_subscriber, decision
):
    from django.test import TestCase

    from newsletter.models import Delivery

    client.force_login(newsletter_editor)
    story, _ = consented_story(title="Mijn weg terug")
    reached, unsure = make_subscriber(), make_subscriber()
    issue = sent_issue_with(make_issue, story, [(reached, "sent"), (unsure, "unknown")])
    page = client.get(f"/admin/newsletter/issues/{issue.pk}/send/").content.decode()
    assert "may or may not have arrived" in page and 'data-field="unknown">1<' in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/newsletter/issues/{issue.pk}/send/unknown/", {"decision": decision})
    row = Delivery.objects.get(subscriber=unsure)
    assert row.status == Delivery.Status.SENT
    if decision == "resend":
        assert [message.to for message in mail.outbox] == [[unsure.email]]
    else:
        assert not mail.outbox and "Recorded as sent by an editor" in row.error
    assert client.get(f"/admin/newsletter/issues/{issue.pk}/progress/").json()["unknown"] == 0


def test_from_recent_leaves_out_stories_of_an_issue_being_sent(client, newsletter_editor, make_org_story, make_issue):
    client.force_login(newsletter_editor)
    going_out = make_org_story(title="Gaat nu de deur uit")
    fresh = make_org_story(title="Nog niet verstuurd")
    make_issue([going_out], status=NewsletterIssue.Status.SENDING)
    client.post("/admin/newsletter/issues/from-recent/", {"language": "nl"})
    new = NewsletterIssue.objects.get(status=NewsletterIssue.Status.DRAFT)
    assert list(new.items.values_list("story_id", flat=True)) == [fresh.pk]


def test_the_confirmation_counts_thousands_as_the_language_writes_them(client, newsletter_editor, make_issue):
    from django.utils import translation

    from newsletter.admin_views import send_now_question

    issue = make_issue(status=NewsletterIssue.Status.DRAFT)
    assert send_now_question(issue, 1234) == "Send “Nieuwsbrief mei” to 1,234 subscribers now?"
    with translation.override("nl"):
        assert send_now_question(issue, 1234) == "“Nieuwsbrief mei” nu naar 1.234 abonnees sturen?"
    # A sent issue is not offered again: the page says so and has no button.
    NewsletterIssue.objects.filter(pk=issue.pk).update(status=NewsletterIssue.Status.SENT)
    client.force_login(newsletter_editor)
    page = client.get(f"/admin/newsletter/issues/{issue.pk}/send/now/").content.decode()
    assert "already being sent or has been sent" in page and 'name="confirm"' not in page


def test_preview_and_sending_are_reachable_from_the_issue_edit_and_create_pages(
    client, newsletter_editor, consented_story, make_issue
):
    from bs4 import BeautifulSoup

    client.force_login(newsletter_editor)
    story, _ = consented_story(title="Mijn weg terug")
    issue = make_issue([story], status=NewsletterIssue.Status.DRAFT)
    html = BeautifulSoup(client.get(f"/admin/newsletter_issues/edit/{issue.pk}/").content, "html.parser")
    header = html.select_one("header.w-slim-header")
    links = {a.get_text(strip=True): a["href"] for a in header.select("a.w-header-button")}
    assert links["Preview"] == f"/admin/newsletter/issues/{issue.pk}/preview/"
    assert links["Send and progress"] == f"/admin/newsletter/issues/{issue.pk}/send/"

    response = client.post("/admin/newsletter_issues/new/", issue_post([story], title="Nieuwsbrief juli"), follow=True)
    new = NewsletterIssue.objects.get(title="Nieuwsbrief juli")
    message = BeautifulSoup(response.content, "html.parser").select_one(".messages")
    assert message.find("a", string="Send and progress")["href"] == f"/admin/newsletter/issues/{new.pk}/send/"
