"""The newsletter's sending screens in a real browser: every button an editor clicks, and what they then see.

From the issue's edit page an editor opens the preview and the sending screen, asks to send now,
reads how many people it will go to, confirms, and the messages arrive at a loopback SMTP
server; an issue is scheduled and the schedule cancelled; a failed message is retried; messages
of unknown fate are sent again or recorded as sent. The test settings run tasks at once, so the
sending happens inside the click's request.
"""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from newsletter.models import Delivery, NewsletterIssue
from tests.newsletter import conftest as newsletter_fixtures

from .conftest import settle

pytestmark = pytest.mark.django_db(transaction=True)

# The newsletter tests' fixtures: subscribers, issues and the loopback SMTP server.
make_issue = newsletter_fixtures.make_issue
make_subscriber = newsletter_fixtures.make_subscriber
smtp_server = newsletter_fixtures.smtp_server


def nl(message, **values):
    """``message`` as the Dutch admin shows it."""
    with translation.override("nl"):
        text = gettext(message)
    return text % values if values else text


@pytest.fixture
def fast_sending(settings):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_RATE": 0}


@pytest.fixture
def draft_issue(make_org_story, make_issue):
    story = make_org_story(title="Nieuwe vleugel open")
    return make_issue([story], status=NewsletterIssue.Status.DRAFT)


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
axe = Axe()


def assert_axe_clean(page):
    """No WCAG 2.2 AA violation on the screen as it is now (labelled fields, headings in order, contrast)."""
    settle(page)
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    found = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
    assert not found, (page.url, found)


def figure(page, field):
    return page.locator(f"#newsletter-progress [data-field={field}]")


def test_preview_confirm_and_send_from_the_edit_page(
    page,
    live_server,
    admin_user,
    admin_login,
    draft_issue,
    make_subscriber,
    smtp_server,
    fast_sending,
):
    readers = [make_subscriber(language="nl") for _ in range(2)]
    make_subscriber(language="en")  # another language: not counted, not sent to
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter_issues/edit/{draft_issue.pk}/")
    header = page.locator("#w-slim-header-buttons")

    # Preview opens the email, as subscribers will see it, in a tab of its own.
    with page.context.expect_page() as opened:
        header.get_by_role("link", name=nl("Preview"), exact=True).click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.get_by_text("Nieuwe vleugel open").first).to_be_visible()
    page.shots("preview", page=preview)
    preview.close()

    header.get_by_role("link", name=nl("Send and progress"), exact=True).click()
    page.wait_for_url(f"**/admin/newsletter/issues/{draft_issue.pk}/send/")
    with translation.override("nl"):
        will_receive = ngettext(
            "%(counter)s subscriber will receive this issue now.",
            "%(counter)s subscribers will receive this issue now.",
            2,
        ) % {"counter": 2}
    expect(page.get_by_text(will_receive)).to_be_visible()
    page.shots("send-page")
    assert_axe_clean(page)

    page.get_by_role("link", name=nl("Send now"), exact=True).click()
    with translation.override("nl"):
        question = ngettext(
            "Send “%(title)s” to %(count)s subscriber now?", "Send “%(title)s” to %(count)s subscribers now?", 2
        ) % {"title": "Nieuwsbrief mei", "count": 2}
    expect(page.get_by_text(question)).to_be_visible()
    assert not smtp_server.messages  # asking sends nothing
    page.shots("confirm")
    assert_axe_clean(page)

    page.get_by_role("button", name=nl("Yes, send now")).click()
    page.wait_for_url(f"**/admin/newsletter/issues/{draft_issue.pk}/send/")
    expect(page.get_by_text(nl("Sending has started."))).to_be_visible()
    expect(figure(page, "status_label")).to_have_text(nl("Sent"))
    expect(figure(page, "sent")).to_have_text("2")
    expect(page.get_by_role("link", name=nl("Send now"), exact=True)).to_have_count(0)
    page.shots("sent")
    assert sorted(item["rcpt"][0] for item in smtp_server.messages) == sorted(r.email for r in readers)
    assert {item["message"]["Subject"] for item in smtp_server.messages} == {"Nieuwsbrief mei"}


def test_schedule_then_cancel_the_schedule(page, live_server, admin_user, admin_login, draft_issue, make_subscriber):
    make_subscriber(language="nl")
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter/issues/{draft_issue.pk}/send/")
    expect(figure(page, "status_label")).to_have_text(nl("Draft"))
    later = timezone.localtime() + datetime.timedelta(days=2)
    page.get_by_label(nl("Send at")).fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name=nl("Schedule"), exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text(nl("The issue is scheduled."))).to_be_visible()
    expect(figure(page, "status_label")).to_have_text(nl("Scheduled"))
    page.shots("scheduled")
    assert_axe_clean(page)
    assert NewsletterIssue.objects.get(pk=draft_issue.pk).status == NewsletterIssue.Status.SCHEDULED

    page.get_by_role("button", name=nl("Cancel the schedule")).click()
    page.wait_for_load_state()
    expect(page.get_by_text(nl("The issue is no longer scheduled."))).to_be_visible()
    expect(figure(page, "status_label")).to_have_text(nl("Draft"))
    expect(page.get_by_role("button", name=nl("Cancel the schedule"))).to_have_count(0)
    page.shots("unscheduled")
    assert NewsletterIssue.objects.get(pk=draft_issue.pk).scheduled_at is None


def sent_issue(draft_issue, rows):
    NewsletterIssue.objects.filter(pk=draft_issue.pk).update(
        status=NewsletterIssue.Status.SENT,
        sent_at=timezone.now(),
        send_started_at=timezone.now(),
        recipients_listed=True,
    )
    for subscriber, status in rows:
        Delivery.objects.create(issue=draft_issue, subscriber=subscriber, status=status, error="550 Mailbox unknown")
    return draft_issue


def test_a_failed_message_is_retried(
    page,
    live_server,
    admin_user,
    admin_login,
    draft_issue,
    make_subscriber,
    smtp_server,
    fast_sending,
):
    reached, failed = make_subscriber(), make_subscriber()
    issue = sent_issue(draft_issue, [(reached, "sent"), (failed, "failed")])
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter/issues/{issue.pk}/send/")
    expect(figure(page, "failed")).to_have_text("1")
    page.shots("failed")

    page.get_by_role("button", name=nl("Retry the failed messages")).click()
    page.wait_for_load_state()
    expect(page.get_by_text(nl("%(count)s failed messages will be sent again.", count=1))).to_be_visible()
    expect(figure(page, "failed")).to_have_text("0")
    expect(figure(page, "sent")).to_have_text("2")
    expect(page.get_by_role("button", name=nl("Retry the failed messages"))).to_have_count(0)
    page.shots("retried")
    assert [item["rcpt"][0] for item in smtp_server.messages] == [failed.email]


@pytest.mark.parametrize(
    ("button", "said", "arrives"),
    [
        ("Send them again (some may get it twice)", "%(count)s messages will be sent again.", True),
        ("Record them as sent (some may not have it)", "%(count)s messages were recorded as sent.", False),
    ],
    ids=["send-again", "record-as-sent"],
)
def test_messages_of_unknown_fate_are_decided_by_the_editor(
    page,
    live_server,
    admin_user,
    admin_login,
    draft_issue,
    make_subscriber,
    smtp_server,
    fast_sending,
    button,
    said,
    arrives,
):
    reached, unsure = make_subscriber(), make_subscriber()
    issue = sent_issue(draft_issue, [(reached, "sent"), (unsure, "unknown")])
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter/issues/{issue.pk}/send/")
    expect(figure(page, "unknown")).to_have_text("1")
    expect(figure(page, "sent")).to_have_text("1")
    assert_axe_clean(page)

    page.get_by_role("button", name=nl(button)).click()
    page.wait_for_load_state()
    expect(page.get_by_text(nl(said, count=1))).to_be_visible()
    expect(figure(page, "unknown")).to_have_text("0")
    expect(figure(page, "sent")).to_have_text("2")
    expect(page.get_by_role("button", name=nl(button))).to_have_count(0)
    page.shots("decided")
    assert [item["rcpt"][0] for item in smtp_server.messages] == ([unsure.email] if arrives else [])


def test_import_a_csv_and_read_its_summary(page, live_server, admin_user, admin_login, tmp_path, make_subscriber):
    from newsletter.models import Subscriber

    make_subscriber(email="al.ingeschreven@example.org")
    csv_file = tmp_path / "aanmeldingen.csv"
    csv_file.write_text("email\nanna@example.org\nal.ingeschreven@example.org\nbram@example.org\n", encoding="utf-8")
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter_subscribers/")
    page.get_by_role("link", name=nl("Import CSV")).click()
    page.wait_for_url("**/admin/newsletter/import/")
    assert_axe_clean(page)
    page.get_by_label(nl("CSV file")).set_input_files(str(csv_file))
    page.get_by_label(nl("Where and how these people opted in")).fill("Papieren lijst, open dag 12 mei")
    page.get_by_label(nl("Date of the opt-in")).fill("2026-05-12")
    page.locator("input[name=declaration]").check()
    page.shots("import-form")
    page.get_by_role("button", name=nl("Import"), exact=True).click()
    page.wait_for_url("**/admin/newsletter/import/*/")
    # The test settings run the import task at once: the summary is there on arrival.
    summary = nl(
        "%(created)s addresses imported; %(existing)s were already present and left unchanged.", created=2, existing=1
    )
    expect(page.get_by_text(summary)).to_be_visible()
    expect(page.locator("#newsletter-import-progress [data-field=created]")).to_have_text("2")
    page.shots("import-done")
    assert_axe_clean(page)
    assert Subscriber.objects.filter(email__in=["anna@example.org", "bram@example.org"]).count() == 2


def test_start_an_issue_from_recent_stories_then_go_on_to_sending(
    page, live_server, admin_user, admin_login, make_org_story
):
    make_org_story(title="Nieuwe vleugel open")
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/newsletter_issues/")
    page.get_by_role("link", name=nl("Start from recent stories")).click()
    page.wait_for_url("**/admin/newsletter/issues/from-recent/")
    assert_axe_clean(page)
    page.get_by_label(nl("Language")).select_option("nl")
    page.get_by_role("button", name=nl("Create draft issue")).click()
    page.wait_for_url("**/admin/newsletter_issues/edit/*/")
    expect(page.get_by_text(nl("%(count)s stories added; review them and the introduction.", count=1))).to_be_visible()
    issue = NewsletterIssue.objects.get()
    assert list(issue.items.values_list("story__title", flat=True)) == ["Nieuwe vleugel open"]
    page.locator("#w-slim-header-buttons").get_by_role("link", name=nl("Send and progress"), exact=True).click()
    page.wait_for_url(f"**/admin/newsletter/issues/{issue.pk}/send/")
    expect(figure(page, "status_label")).to_have_text(nl("Draft"))
    page.shots("from-recent-send-page")
