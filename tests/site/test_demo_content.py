"""The demo shows the product: pictures without text, a sent newsletter, a channel plan with reach.

And none of it reaches out: the demo account is inactive and points at the loopback address, no
mail goes out, and the worker's sweep finds nothing to send. ``make run PORT=8123`` gives links on
that port (the development settings' ``BASE_URL`` follows ``PORT``; the Site follows ``BASE_URL``).
"""

import datetime
import importlib.util
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Revision, Site

import website.settings
from channels import reach
from channels.models import ChannelAccount, Dispatch, DispatchEvent, PostPlan, ReachCount
from channels.sweeps import sweep
from newsletter.models import Delivery, IssueItem, NewsletterIssue, Subscriber
from stories.models import OrganisationStoryPage, PatientStoryPage
from website.demo.channel_plan import ACCOUNT_NAME
from website.demo.content import STORIES
from website.demo.images import HEIGHT, WIDTH, draw, title_for
from website.demo.inbox import ACCOUNT_NAME as INBOX_ACCOUNT

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", stdout=io.StringIO())


def counts():
    models = [ChannelAccount, PostPlan, Dispatch, DispatchEvent, ReachCount, NewsletterIssue, IssueItem, Revision]
    return {model.__name__: model.objects.count() for model in [*models, get_image_model()]}


def test_the_demo_has_a_channel_plan_a_sent_newsletter_and_calm_pictures(client):
    seed()
    first = counts()
    seed()
    assert counts() == first, "a second seed_demo changes nothing"

    # Pictures: drawn from the slug and the colours only (no text), the same bytes every time, small.
    spec = STORIES[0]
    image = get_image_model().objects.get(title=title_for(spec["nl"]["slug"]))
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert stored == draw(spec["nl"]["slug"], spec["color"]) and len(stored) < 60_000
    assert (image.width, image.height) == (WIDTH, HEIGHT) == (1200, 675)

    # One account, inactive, on the loopback address: nothing can be posted anywhere.
    account = ChannelAccount.objects.get(name=ACCOUNT_NAME)
    assert not account.active and account.kind == "webhook"
    assert account.config["url"].startswith("http://127.0.0.1:")
    dispatches = Dispatch.objects.filter(account=account)
    organisation_pages = set(OrganisationStoryPage.objects.values_list("pk", flat=True))
    assert set(dispatches.values_list("page_id", flat=True)) == organisation_pages
    assert not PostPlan.objects.filter(page__in=PatientStoryPage.objects.all()).exists()
    sent = dispatches.filter(state=Dispatch.State.SENT)
    planned = dispatches.filter(state=Dispatch.State.PLANNED)
    assert sent.count() == 6 and planned.count() == 2 and sent.count() + planned.count() == dispatches.count()
    assert all(url.startswith("https://example.org/") for url in sent.values_list("remote_url", flat=True))
    assert all(when > timezone.now() for when in planned.values_list("scheduled_for", flat=True))

    # The worker's sweep finds nothing to send, an hour or a week on.
    states = sorted(dispatches.values_list("pk", "state"))
    for later in (datetime.timedelta(hours=1), datetime.timedelta(days=7)):
        sweep(now=timezone.now() + later)
    assert sorted(dispatches.values_list("pk", "state")) == states
    assert mail.outbox == []

    # Reach: reads per day from the account and the newsletter over the last weeks.
    sources = dict(reach.totals_per_source(30))
    assert sources[f"webhook-{account.pk}"] > 50 and sources["newsletter"] > 20
    assert ReachCount.objects.filter(day=timezone.localdate()).exists()

    # The sent newsletter: in the archive of each language, with the organisation's stories; no one mailed.
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()
    for language in ("nl", "en"):
        issue = NewsletterIssue.objects.get(language=language, status=NewsletterIssue.Status.SENT)
        assert issue.sent_at < timezone.now() - datetime.timedelta(days=3)
        titles = [item.story.title for item in issue.items.order_by("sort_order")]
        assert len(titles) == 3
        assert all(item.story.specific_class is OrganisationStoryPage for item in issue.items.all())
        archive = client.get(f"/{language}/newsletter/archive/")
        assert archive.status_code == 200 and issue.title in archive.content.decode()
        detail = client.get(f"/{language}/newsletter/archive/{issue.pk}/").content.decode()
        assert all(title in detail for title in titles)

    # The calendar of this month and the reach report are not empty.
    user = get_user_model().objects.create_superuser("demo-admin", "admin@example.org", "pw")
    client.force_login(user)
    for dispatch in dispatches:
        month = timezone.localtime(dispatch.sent_at or dispatch.scheduled_for).strftime("%Y-%m")
        calendar = client.get(reverse("channels_admin:calendar"), {"month": month})
        assert calendar.status_code == 200 and calendar.context["count"] >= 1, month
        # The plan's account, and in its month the demo inbox's account with the post its replies answer.
        names = [column.name for column in calendar.context["columns"]]
        assert ACCOUNT_NAME in names and set(names) <= {ACCOUNT_NAME, INBOX_ACCOUNT}
    report = client.get(reverse("channels_reach_report"))
    assert report.status_code == 200 and ACCOUNT_NAME in report.content.decode()


def development_settings(monkeypatch, **environ):
    """The module ``website.settings.dev`` as ``make run`` loads it, with ``environ``, read fresh."""
    monkeypatch.delenv("BASE_URL", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    path = website.settings.__path__[0] + "/dev.py"
    spec = importlib.util.spec_from_file_location("website.settings.dev_port_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_with_another_port_puts_every_link_on_that_port(monkeypatch, settings, client):
    assert development_settings(monkeypatch).BASE_URL == "http://localhost:8000"
    assert development_settings(monkeypatch, BASE_URL="https://zorg.example/").BASE_URL == "https://zorg.example"
    dev = development_settings(monkeypatch, PORT="8123")
    assert dev.BASE_URL == dev.WAGTAILADMIN_BASE_URL == "http://localhost:8123"

    settings.BASE_URL, settings.WAGTAILADMIN_BASE_URL = dev.BASE_URL, dev.WAGTAILADMIN_BASE_URL
    seed()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("localhost", 8123, "http://localhost:8123")
    story = OrganisationStoryPage.objects.live().filter(locale__language_code="nl").first()
    assert story.full_url.startswith("http://localhost:8123/nl/")

    feed = client.get("/nl/feeds/rss/").content.decode()
    assert f"<link>{story.full_url}</link>" in feed
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>{story.full_url}</loc>" in sitemap
    assert "localhost:8000" not in feed + sitemap and "http://localhost/" not in feed + sitemap
    page = client.get(story.url).content.decode()
    assert f'rel="canonical" href="{story.full_url}"' in page


def test_the_worker_finishes_every_task_the_demo_queues(settings, monkeypatch):
    """``make run`` seeds, then starts the worker on the database queue: no task may fail in its log.

    Every saved page, plan and image queues Wagtail's reference-index update; a row the seed
    created and then replaced (the English copy of a story's channel plan) made that task fail
    with a traceback on the first run.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    seed()
    queued = DBTaskResult.objects.count()
    assert queued, "the demo queued nothing: the test no longer runs the worker's path"
    # The worker closes the database connection between tasks; inside the test's transaction
    # (PostgreSQL) that would end the test's own connection.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", batch=True, stdout=io.StringIO(), stderr=io.StringIO())
    failed = list(DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).values_list("task_path", "args_kwargs"))
    assert not failed
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == queued


def test_the_demo_brands_the_site_in_both_languages(client):
    """A fresh seed_demo names the organisation, draws a logo and fills the footer and support box (issue 13)."""
    from bs4 import BeautifulSoup

    from website.brand_style import GRAPHIC_CONTRAST, TEXT_CONTRAST, lowest_contrast
    from website.demo.branding import LOGO_TITLE
    from website.models import OrganisationSettings, SupportBox

    seed()
    row = OrganisationSettings.objects.get(site__is_default_site=True)
    assert lowest_contrast(row.primary_colour)[0] >= TEXT_CONTRAST
    assert lowest_contrast(row.accent_colour, ("#ffffff",))[0] >= GRAPHIC_CONTRAST
    assert row.logo.title == LOGO_TITLE and row.logo.width == row.logo.height
    assert set(SupportBox.objects.values_list("locale__language_code", flat=True)) == {"nl", "en"}

    def page(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return BeautifulSoup(response.content, "html.parser")

    for language, privacy, accessibility, support in (
        ("nl", "Privacyverklaring", "Toegankelijkheidsverklaring", "Raakte dit verhaal u?"),
        ("en", "Privacy statement", "Accessibility statement", "Did this story touch you?"),
    ):
        home = page(f"/{language}/")
        assert home.select_one(".site-name img.site-logo")
        footer = home.select_one(".site-footer")
        assert footer.select_one("#footer-organisation").text == "Ziekenhuis De Linde"
        assert "Lindelaan 1" in footer.select_one(".footer-address").text
        assert footer.find("a", href="tel:0301234567") and footer.find("a", href="mailto:communicatie@example.org")
        statements = footer.select(".footer-statements a")
        assert len(statements) == 2
        for link, title in zip(statements, (privacy, accessibility), strict=True):
            assert link["href"].startswith(f"/{language}/")
            assert page(link["href"]).h1.text.strip() == title
        story = OrganisationStoryPage.objects.live().filter(locale__language_code=language).first()
        box = page(story.url).select_one(".support-box")
        assert box.h2.text == support and "113" in box.text


def test_the_demo_inbox_shows_flagged_conversations_on_an_account_that_reads_and_sends_nothing(client):
    from conversations.models import Conversation, Message, SavedReply
    from conversations.tasks import due_accounts

    seed()
    account = ChannelAccount.objects.get(name=INBOX_ACCOUNT)
    assert not account.active and account.config["instance_url"].startswith("http://127.0.0.1:")
    assert account not in due_accounts(timezone.now())  # never read
    conversations = Conversation.objects.filter(account=account)
    assert conversations.count() == 4
    thanks = conversations.get(root_external_id="demo-1")
    assert list(thanks.messages.values_list("external_id", flat=True)) == ["demo-1", "demo-5"]
    assert thanks.story is not None and thanks.dispatch.state == Dispatch.State.SENT
    question = conversations.get(root_external_id="demo-2")
    assert question.flagged and {"medical_question", "health_disclosure"} <= set(question.labels)
    assert "complaint" in conversations.get(root_external_id="demo-3").labels
    assert not conversations.get(root_external_id="demo-4").flagged
    assert not conversations.filter(crisis=True).exists()
    neutral = SavedReply.objects.filter(neutral=True)
    assert sorted(neutral.values_list("locale__language_code", flat=True)) == ["en", "nl"]
    assert len(set(neutral.values_list("translation_key", flat=True))) == 1
    assert mail.outbox == []

    seed()
    assert Message.objects.filter(account=account).count() == 5
    assert Conversation.objects.filter(account=account).count() == 4
