"""Sending an issue over real SMTP (a loopback server): headers, both parts, inlined CSS, images, links;
the throttle, retries, the consent and subscriber checks made before every message, and takeovers."""

import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from newsletter.models import Delivery, NewsletterIssue, Subscriber
from newsletter.sending import send_issue_now
from tests.conftest import make_image

pytestmark = pytest.mark.django_db

NO_THROTTLE = override_settings(VERTEL={**__import__("django.conf").conf.settings.VERTEL, "NEWSLETTER_RATE": 0})


@pytest.fixture
def issue_and_consent(make_org_story, consented_story, make_issue):
    image = make_image("Hal")
    org = make_org_story(title="Nieuwe vleugel open", hero_image=image, hero_image_alt="De nieuwe hal met veel licht")
    patient, consent = consented_story(title="Mijn weg terug")
    return make_issue([org, patient]), consent


@pytest.fixture
def issue_with_stories(issue_and_consent):
    return issue_and_consent[0]


def parts_of(message):
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    return html, text


def recipients(smtp_server):
    return [item["rcpt"][0] for item in smtp_server.messages]


def unsubscribe_url(message):
    return re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1)


@NO_THROTTLE
def test_every_recipient_gets_one_complete_message(smtp_server, issue_with_stories, make_subscriber, settings):
    settings.VERTEL = {**settings.VERTEL, "NEWSLETTER_UNSUBSCRIBE_MAILTO": "unsubscribe@example.org"}
    readers = [make_subscriber(language="nl") for _ in range(3)]
    make_subscriber(language="en")  # another language
    make_subscriber(language="nl", status=Subscriber.Status.PENDING)  # never confirmed
    make_subscriber(language="nl", undeliverable_reason="bounced").__class__.objects.filter(
        undeliverable_reason="bounced"
    ).update(undeliverable_at="2026-01-01T00:00:00Z")
    issue = issue_with_stories

    assert send_issue_now(issue.pk, rate=0) == 3

    received = smtp_server.messages
    assert sorted(m["rcpt"][0] for m in received) == sorted(r.email for r in readers)
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.SENT and issue.sent_at
    assert Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).count() == 3

    for item in received:
        message = item["message"]
        subscriber = Subscriber.objects.get(email=item["rcpt"][0])
        assert message["Subject"] == "Nieuwsbrief mei"
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = f"http://testserver/nl/newsletter/unsubscribe/{subscriber.link_token}/"
        assert (
            message["List-Unsubscribe"].strip()
            == f"<{unsubscribe}>, <mailto:unsubscribe@example.org?subject=unsubscribe>"
        )
        assert message["List-Id"].endswith("<newsletter.testserver>")
        html, text = parts_of(message)
        # Styles are inlined: no <style> block to depend on, style attributes on the elements.
        assert "<style" not in html
        assert re.search(r'<td class="header" style="[^"]*background-color', html)
        assert re.search(
            r'<img[^>]+src="http://testserver/media/images/[^"]+"[^>]+alt="De nieuwe hal met veel licht"', html
        )
        assert "utm_source=newsletter&amp;utm_medium=email" in html
        assert unsubscribe in html and unsubscribe in text
        assert "Nieuwe vleugel open" in text and "Mijn weg terug" in text and "utm_medium=email" in text
        # No address in any URL of the message.
        for url in re.findall(r"https?://[^\s\"<>]+", html + text + message["List-Unsubscribe"]):
            assert "@" not in url.split("mailto:")[0] or url.startswith("mailto:")
            assert subscriber.email not in url


def test_unsubscribe_link_from_a_real_message_works_by_one_click(
    client, smtp_server, issue_with_stories, make_subscriber
):
    subscriber = make_subscriber()
    send_issue_now(issue_with_stories.pk, rate=0)
    url = unsubscribe_url(smtp_server.messages[0]["message"]).replace("http://testserver", "")
    response = client.post(url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.UNSUBSCRIBED


def test_links_in_emails_survive_a_secret_key_rotation(
    client, smtp_server, issue_with_stories, make_issue, make_subscriber, settings
):
    """Operators rotate SECRET_KEY (Django's way: the old one in SECRET_KEY_FALLBACKS, later dropped)."""
    reader = make_subscriber()
    story = issue_with_stories.items.first().story

    def link_of_next_issue():
        issue = make_issue([story])
        send_issue_now(issue.pk, rate=0)
        return unsubscribe_url(smtp_server.messages[-1]["message"]).replace("http://testserver", "")

    first = link_of_next_issue()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-0123456789-abcdefghijklmnopqrstuvwxyz"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    second = link_of_next_issue()
    assert second == first  # made again with the old key: every link the reader has is the same one
    assert client.get(second).status_code == 200

    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone for good
    third = link_of_next_issue()
    assert client.get(third).status_code == 200  # the new email's link works
    assert client.get(first).status_code == 200  # and so does the one in the emails already sent
    response = client.post(first, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == Subscriber.Status.UNSUBSCRIBED


def test_links_in_the_intro_are_absolute_and_spelled_out_in_the_text_part(
    smtp_server, issue_with_stories, make_subscriber
):
    make_subscriber()
    org = issue_with_stories.items.order_by("sort_order").first().story
    path = org.get_url()
    assert path.startswith("/")  # Wagtail makes internal links relative: a mail has nothing to be relative to
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(
        intro=(
            f'<p>Zorg &amp; welzijn: lees <a linktype="page" id="{org.pk}">ons verhaal</a> '
            'of <a href="https://example.org/folder?a=1&amp;b=2">de folder</a>.</p>'
        )
    )
    send_issue_now(issue_with_stories.pk, rate=0)
    html, text = parts_of(smtp_server.messages[0]["message"])
    assert f'href="http://testserver{path}"' in html
    assert 'href="/' not in html
    assert "Zorg & welzijn" in text and "&amp;" not in text
    assert f"ons verhaal (http://testserver{path})" in text
    assert "de folder (https://example.org/folder?a=1&b=2)" in text


def test_themes_filter_recipients(smtp_server, issue_with_stories, make_subscriber, theme, locales):
    from stories.models import Theme

    theme_en = Theme.objects.create(
        name="Diabetes", slug="diabetes", locale=locales["en"], translation_key=theme.translation_key
    )
    other = Theme.objects.create(name="Dementie", slug="dementie", locale=locales["nl"])
    interested = make_subscriber()
    interested.themes.set([theme_en])  # stored in another locale: matched by translation key
    elsewhere = make_subscriber()
    elsewhere.themes.set([other])
    issue_with_stories.themes.set([theme])
    issue_with_stories.save()
    send_issue_now(issue_with_stories.pk, rate=0)
    assert recipients(smtp_server) == [interested.email]


def test_throttle_spaces_the_messages_as_they_arrive(smtp_server, issue_with_stories, make_subscriber):
    for _ in range(6):
        make_subscriber()
    # Ten per second over two batches (two SMTP connections one after the other).
    send_issue_now(issue_with_stories.pk, rate=10, batch_size=4)
    arrivals = [item["at"] for item in smtp_server.messages]
    assert len(arrivals) == 6
    gaps = sorted(later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False))
    # Unthrottled, six messages arrive within a few milliseconds of each other. Only lower
    # bounds are asserted: a loaded machine makes gaps longer, never shorter than the throttle's.
    assert arrivals[-1] - arrivals[0] >= 0.4  # five intervals of 0.1 s, less the first message's own latency
    assert gaps[len(gaps) // 2] >= 0.07


def test_an_address_smtp_needs_encoded_goes_through_email_message(
    client, smtp_server, issue_with_stories, make_subscriber, monkeypatch
):
    from newsletter.issue_mail import IssueMailer

    idn = make_subscriber(email="lezer@bücher.example")
    plain = make_subscriber()
    built = []
    original = IssueMailer.message

    def spy(self, email, token, connection=None):
        built.append(email)
        return original(self, email, token, connection)

    monkeypatch.setattr(IssueMailer, "message", spy)
    assert send_issue_now(issue_with_stories.pk, rate=0) == 2
    assert built == [idn.email]  # only this address left the fast path
    assert sorted(recipients(smtp_server)) == sorted(["lezer@xn--bcher-kva.example", plain.email])
    message = next(m["message"] for m in smtp_server.messages if m["rcpt"] == ["lezer@xn--bcher-kva.example"])
    assert message["Subject"] == "Nieuwsbrief mei" and message["List-Unsubscribe-Post"]
    html, text = parts_of(message)
    assert "Mijn weg terug" in html and "Mijn weg terug" in text
    assert client.get(unsubscribe_url(message).replace("http://testserver", "")).status_code == 200
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_while_the_issue_is_being_sent(client, smtp_server, issue_with_stories, make_subscriber, superuser):
    from django.test import Client

    for _ in range(5):
        make_subscriber()
    url = f"/admin/newsletter/issues/{issue_with_stories.pk}/progress/"
    seen = []

    def read_progress(index):
        if index == 2:  # the third message is in the server's hands, its answer not yet sent
            reader = Client()
            reader.force_login(superuser)
            seen.append(reader.get(url).json())

    smtp_server.after_accept = read_progress
    send_issue_now(issue_with_stories.pk, rate=0)
    [during] = seen
    assert during["status"] == "sending"
    assert (during["sent"], during["remaining"], during["total"]) == (2, 3, 5)
    assert during["failed"] == during["unknown"] == 0 and during["rate"] > 0
    client.force_login(superuser)
    after = client.get(url).json()
    assert (after["status"], after["sent"], after["remaining"], after["rate"]) == ("sent", 5, 0, None)


def test_progress_rate_is_that_of_the_last_minute(issue_with_stories, make_subscriber):
    now = timezone.now()
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(
        send_started_at=now - datetime.timedelta(minutes=2)
    )
    issue = NewsletterIssue.objects.get(pk=issue_with_stories.pk)
    readers = [make_subscriber() for _ in range(66)]
    # A fast start (60 messages 90 s ago), then a crawl: 6 in the last minute. The average since
    # the start (66 in 120 s, 0.55 per second) would hide that the server slowed down.
    Delivery.objects.bulk_create(
        Delivery(
            issue=issue,
            subscriber=reader,
            status=Delivery.Status.SENT,
            sent_at=now - datetime.timedelta(seconds=90 if n < 60 else n - 60),
        )
        for n, reader in enumerate(readers)
    )
    assert issue.progress(now)["rate"] == 0.1
    NewsletterIssue.objects.filter(pk=issue.pk).update(send_started_at=now - datetime.timedelta(seconds=30))
    issue.refresh_from_db()
    assert issue.recent_rate(now) == round(6 / 30, 1)  # started 30 s ago: the window is those 30 s


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_withdrawal_while_sending_stops_the_story_before_the_next_message(
    smtp_server, issue_and_consent, make_subscriber, settings
):
    from consent.models import ConsentEvent
    from consent.services import withdraw

    issue, consent = issue_and_consent
    for _ in range(6):
        make_subscriber()
    assert settings.VERTEL["NEWSLETTER_BATCH_SIZE"] >= 6  # the default: every message is in the same batch

    def withdraw_after_the_second(index):
        if index == 1:
            withdraw(consent, ["newsletter"])  # the signer's own path: evidence, signal, receivers

    smtp_server.after_accept = withdraw_after_the_second
    send_issue_now(issue.pk, rate=0)
    texts = [parts_of(item["message"])[1] for item in smtp_server.messages]
    assert len(texts) == 6
    assert all("Mijn weg terug" in text for text in texts[:2])
    assert all("Mijn weg terug" not in text and "Nieuwe vleugel open" in text for text in texts[2:])
    event = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=consent.story_id).get()
    assert event.data["redacted_in_archive_of_issues"] == [issue.pk]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_story_unpublished_while_sending_is_left_out_of_the_next_message(
    smtp_server, issue_with_stories, make_subscriber
):
    for _ in range(4):
        make_subscriber()
    org = issue_with_stories.items.order_by("sort_order").first().story

    def unpublish_after_the_first(index):
        if index == 0:
            org.specific.unpublish()

    smtp_server.after_accept = unpublish_after_the_first
    send_issue_now(issue_with_stories.pk, rate=0)
    texts = [parts_of(item["message"])[1] for item in smtp_server.messages]
    assert len(texts) == 4 and "Nieuwe vleugel open" in texts[0]
    assert all("Nieuwe vleugel open" not in text and "Mijn weg terug" in text for text in texts[1:])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_a_withdrawal_leaves_no_story_the_rest_is_not_sent(
    smtp_server, consented_story, make_issue, make_subscriber, django_user_model
):
    from consent.services import withdraw

    author = django_user_model.objects.create_user(username="author", email="author@example.org")
    story, consent = consented_story(title="Mijn weg terug")
    issue = make_issue([story], created_by=author)
    readers = [make_subscriber() for _ in range(4)]
    smtp_server.after_accept = lambda index: index == 0 and withdraw(consent, ["newsletter"])
    send_issue_now(issue.pk, rate=0)
    to_readers = [m for m in smtp_server.messages if m["rcpt"] != [author.email]]
    assert [m["rcpt"][0] for m in to_readers] == [readers[0].email]  # nobody got an issue without stories
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.SENT
    progress = issue.progress()
    assert (progress["sent"], progress["failed"], progress["remaining"]) == (1, 3, 0)
    assert all(
        "Not sent" in error for error in Delivery.objects.filter(status="failed").values_list("error", flat=True)
    )
    [notice] = [m["message"] for m in smtp_server.messages if m["rcpt"] == [author.email]]
    assert "was not sent" in notice["Subject"]


def test_a_scheduled_issue_whose_only_story_was_withdrawn_goes_back_to_draft(
    smtp_server, consented_story, make_issue, make_subscriber, django_user_model, django_capture_on_commit_callbacks
):
    from wagtail.models import ModelLogEntry

    from consent.services import withdraw
    from newsletter.periodic import sweep_sending

    author = django_user_model.objects.create_user(username="author", email="author@example.org")
    story, consent = consented_story()
    issue = make_issue(
        [story],
        status=NewsletterIssue.Status.SCHEDULED,
        scheduled_at=timezone.now() - datetime.timedelta(minutes=1),
        created_by=author,
    )
    make_subscriber()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, ["newsletter"])
    assert sweep_sending() == [issue.pk]  # the due issue was started (the test backend runs it at once)
    assert recipients(smtp_server) == [author.email]  # only the editor hears of it
    assert "was not sent" in smtp_server.messages[0]["message"]["Subject"]
    issue.refresh_from_db()
    assert issue.status == NewsletterIssue.Status.DRAFT and not issue.deliveries.exists()
    assert ModelLogEntry.objects.filter(action="newsletter.refused", object_id=str(issue.pk)).exists()


def test_a_title_with_a_line_break_never_reaches_the_headers(smtp_server, issue_with_stories, make_subscriber):
    # Written past the form's validation (shell, import, API): the message builder refuses it too.
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(title="Nieuws\r\nBcc: everyone@example.org")
    make_subscriber()
    assert send_issue_now(issue_with_stories.pk, rate=0) == 0
    assert smtp_server.messages == []
    issue_with_stories.refresh_from_db()
    assert issue_with_stories.status == NewsletterIssue.Status.DRAFT


def test_unsubscribed_and_bounced_addresses_are_skipped_when_claimed(smtp_server, issue_with_stories, make_subscriber):
    from newsletter.lease import acquire, list_recipients

    readers = [make_subscriber() for _ in range(4)]
    list_recipients(acquire(issue_with_stories.pk, "lister"))
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(runner="")
    # Changed after the list was made, by paths that leave the pending rows in place.
    Subscriber.objects.filter(pk=readers[0].pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=readers[1].pk).update(undeliverable_at=timezone.now())
    send_issue_now(issue_with_stories.pk, rate=0)
    assert sorted(recipients(smtp_server)) == sorted([readers[2].email, readers[3].email])
    assert Delivery.objects.filter(subscriber__in=readers[:2]).count() == 0
    assert NewsletterIssue.objects.get(pk=issue_with_stories.pk).status == NewsletterIssue.Status.SENT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_address_that_unsubscribes_or_bounces_mid_batch_gets_nothing(
    smtp_server, issue_with_stories, make_subscriber
):
    from newsletter import subscriptions

    readers = [make_subscriber() for _ in range(4)]

    def during_the_first(index):
        if index == 0:  # the other three are claimed in this batch by now
            subscriptions.unsubscribe(Subscriber.objects.get(pk=readers[2].pk), via="link")
            subscriptions.mark_undeliverable(readers[3].email, "complained: abuse report")

    smtp_server.after_accept = during_the_first
    send_issue_now(issue_with_stories.pk, rate=0)
    assert recipients(smtp_server) == [readers[0].email, readers[1].email]


def refuse(smtp_server, replies):
    """Let the server answer ``replies[address]`` (a list, used up in order) instead of accepting."""

    def before_accept(envelope):
        queue = replies.get(envelope.rcpt_tos[0])
        return queue.pop(0) if queue else None

    smtp_server.before_accept = before_accept


def test_a_temporary_refusal_is_retried_later_and_a_permanent_one_fails(
    smtp_server, issue_with_stories, make_subscriber
):
    from newsletter.periodic import sweep_sending

    busy, gone, fine = make_subscriber(), make_subscriber(), make_subscriber()
    refuse(
        smtp_server,
        {busy.email: ["451 4.3.0 Mailbox busy, try again later"], gone.email: ["550 5.1.1 Mailbox unknown"]},
    )
    send_issue_now(issue_with_stories.pk, rate=0)
    assert recipients(smtp_server) == [fine.email]
    waiting = Delivery.objects.get(subscriber=busy)
    assert (waiting.status, waiting.attempts) == (Delivery.Status.PENDING, 1) and "451" in waiting.error
    assert waiting.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)
    failed = Delivery.objects.get(subscriber=gone)
    assert failed.status == Delivery.Status.FAILED and "550" in failed.error
    issue = NewsletterIssue.objects.get(pk=issue_with_stories.pk)
    assert issue.status == NewsletterIssue.Status.SENDING and issue.runner == ""  # paused for the retry
    progress = issue.progress()
    assert (progress["sent"], progress["retrying"], progress["remaining"], progress["failed"]) == (1, 1, 1, 1)

    assert sweep_sending() == []  # the retry is not due yet
    Delivery.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert sweep_sending() == [issue.pk]
    assert recipients(smtp_server) == [fine.email, busy.email]
    assert Delivery.objects.get(pk=waiting.pk).status == Delivery.Status.SENT
    assert NewsletterIssue.objects.get(pk=issue.pk).status == NewsletterIssue.Status.SENT


def test_temporary_refusals_end_in_failure_when_the_retries_run_out(smtp_server, issue_with_stories, make_subscriber):
    from newsletter.lease import acquire, list_recipients
    from newsletter.smtp_loop import RETRY_DELAYS

    reader = make_subscriber()
    list_recipients(acquire(issue_with_stories.pk, "lister"))
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(runner="")
    Delivery.objects.filter(subscriber=reader).update(attempts=len(RETRY_DELAYS))
    refuse(smtp_server, {reader.email: ["452 4.2.2 Mailbox full"]})
    send_issue_now(issue_with_stories.pk, rate=0)
    row = Delivery.objects.get(subscriber=reader)
    assert row.status == Delivery.Status.FAILED and "Temporarily refused" in row.error and "452" in row.error


def test_a_server_closing_with_421_defers_the_rest_of_the_batch(smtp_server, issue_with_stories, make_subscriber):
    readers = [make_subscriber() for _ in range(3)]
    refuse(smtp_server, {readers[0].email: ["421 4.7.0 Too many messages, closing connection"]})
    send_issue_now(issue_with_stories.pk, rate=0)
    assert smtp_server.messages == []
    rows = Delivery.objects.order_by("subscriber_id")
    assert [row.status for row in rows] == [Delivery.Status.PENDING] * 3
    assert [row.attempts for row in rows] == [1, 0, 0]  # only the refused one counts an attempt
    assert len({row.next_attempt_at for row in rows}) == 1 and rows[0].next_attempt_at > timezone.now()


def test_a_second_run_sends_nothing_again(smtp_server, issue_with_stories, make_subscriber):
    make_subscriber()
    make_subscriber()
    send_issue_now(issue_with_stories.pk, rate=0)
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(status=NewsletterIssue.Status.SENDING, runner="")
    assert send_issue_now(issue_with_stories.pk, rate=0) == 0
    assert len(smtp_server.messages) == 2


def test_a_live_runner_is_left_alone_and_a_dead_one_is_taken_over(issue_with_stories, make_subscriber):
    from newsletter.lease import acquire, claim_batch, list_recipients

    for _ in range(3):
        make_subscriber()
    issue = acquire(issue_with_stories.pk, "first")
    list_recipients(issue)
    claimed = claim_batch(issue, "first", 2)
    assert len(claimed) == 2
    # The first runner handed the first message's data to the server, then died.
    Delivery.objects.filter(pk=claimed[0][0]).update(status=Delivery.Status.SENDING)
    assert acquire(issue.pk, "second") is None  # the first runner's heartbeat is fresh
    NewsletterIssue.objects.filter(pk=issue.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=10))
    assert acquire(issue.pk, "second") is not None
    # Claimed but never handed over: sent by the new runner. Handed over: unknown, never re-sent blindly.
    assert Delivery.objects.filter(issue=issue, status=Delivery.Status.PENDING).count() == 2
    assert list(Delivery.objects.filter(issue=issue, status=Delivery.Status.UNKNOWN).values_list("pk", flat=True)) == [
        claimed[0][0]
    ]
    assert issue.progress()["unknown"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_runner_whose_issue_was_taken_over_stops_at_once(smtp_server, issue_with_stories, make_subscriber):
    import collections

    from newsletter.lease import acquire

    for _ in range(6):
        make_subscriber()

    def take_over_during_the_second(index):
        if index == 1:
            # The first runner's lease looks stale (a long pause, say): a second worker takes the issue.
            NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(
                heartbeat_at=timezone.now() - datetime.timedelta(minutes=10)
            )
            assert acquire(issue_with_stories.pk, "second") is not None

    smtp_server.after_accept = take_over_during_the_second
    assert send_issue_now(issue_with_stories.pk, rate=0, runner="first") == 2
    assert len(smtp_server.messages) == 2  # the rest of its batch is no longer its own
    # The second message was accepted after the takeover turned its row unknown: its record still landed.
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 4

    smtp_server.after_accept = None
    NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    send_issue_now(issue_with_stories.pk, rate=0, runner="third")
    per_recipient = collections.Counter(recipients(smtp_server))
    assert len(per_recipient) == 6 and set(per_recipient.values()) == {1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_runner_stops_when_its_heartbeat_finds_the_lease_gone(
    smtp_server, issue_with_stories, make_subscriber, monkeypatch
):
    from newsletter import smtp_loop

    for _ in range(6):
        make_subscriber()
    monkeypatch.setattr(smtp_loop, "HEARTBEAT_SECONDS", 0)  # renew the lease before every message

    def lease_given_away(index):
        if index == 1:
            NewsletterIssue.objects.filter(pk=issue_with_stories.pk).update(runner="someone-else")

    smtp_server.after_accept = lease_given_away
    assert send_issue_now(issue_with_stories.pk, rate=0, runner="first") == 2
    assert len(smtp_server.messages) == 2


def test_list_id_names_the_organisation_on_both_paths(
    smtp_server, issue_with_stories, make_subscriber, settings, monkeypatch
):
    """The List-Id label is the organisation's name (its site setting), not the CMS's site name, on
    the fast path and on the EmailMessage path; a name with specials and accents stays one header."""
    from wagtail.models import Site

    from newsletter.issue_mail import IssueMailer
    from website.models import OrganisationSettings

    settings.WAGTAIL_SITE_NAME = "Vertel CMS"
    row = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    row.organisation_name = 'Zorggroep Één, "Oost"\nAfdeling'
    row.save()
    plain = make_subscriber()
    idn = make_subscriber(email="lezer@bücher.example")  # leaves the fast path for EmailMessage
    built = []
    original = IssueMailer.message
    monkeypatch.setattr(
        IssueMailer,
        "message",
        lambda self, email, *args, **kw: built.append(email) or original(self, email, *args, **kw),
    )

    assert send_issue_now(issue_with_stories.pk, rate=0) == 2
    assert built == [idn.email]
    by_recipient = {item["rcpt"][0]: item["message"] for item in smtp_server.messages}
    assert set(by_recipient) == {plain.email, "lezer@xn--bcher-kva.example"}
    for message in by_recipient.values():
        # Decoded, the label reads as the organisation wrote it; the id in brackets stays plain.
        assert message["List-Id"] == 'Zorggroep Één, "Oost" Afdeling <newsletter.testserver>'
        assert "Vertel CMS" not in message.as_string()
