"""A person answers a reply under our post, from 'new' to 'answered', in Chromium.

The patient's reply is read from the loopback Mastodon through the real reader, the guard flags
it as a medical question, a staff member answers with the neutral saved reply, a second person
approves it, and the answer is on the loopback network, threaded under the patient's status, and
in the thread as our reply, with the conversation answered.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "browser-test-password"
NEUTRAL = "Dank voor uw bericht. Wilt u ons bellen op 030 123 4567? Dan helpen we u verder."


@pytest.fixture(scope="module")
def mastodon_server():
    """The loopback Mastodon that answers the reading and the writing endpoints."""
    from tests.conversations.fakes.mastodon import FakeMastodon

    server = FakeMastodon().start()
    yield server
    server.stop()


@pytest.fixture
def mastodon(mastodon_server):
    mastodon_server.reset()
    yield mastodon_server
    mastodon_server.reset()


def person(django_user_model, username, group, first_name):
    from wagtail.users.models import UserProfile

    user = django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org", first_name=first_name, last_name="Z"
    )
    user.groups.add(Group.objects.get(name=group))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "nl"
    profile.save()
    return user


def test_a_question_under_our_post_is_answered_with_a_neutral_reply_and_a_second_pair_of_eyes(
    page,
    browser,
    live_server,
    admin_login,
    site_root,
    django_user_model,
    mastodon,
):
    from django.utils import timezone
    from wagtail.models import Locale

    from channels.adapters.base import Post
    from channels.models import Dispatch
    from conversations.ingest import runner
    from conversations.models import Conversation, SavedReply
    from tests.factories import ChannelAccountFactory

    account = ChannelAccountFactory(
        name="Mastodon zorg",
        kind="mastodon",
        config={"instance_url": mastodon.url},
        credentials={"access_token": mastodon.token},
    )
    # Our post, made through the account's adapter on the loopback instance.
    posted = account.adapter().publish(Post(text="Ons verhaal over de intensive care", link="https://zorg.example/v/"))
    ours = Dispatch.objects.create(
        page_title="Verhaal",
        account=account,
        content_hash="0" * 64,
        state=Dispatch.State.SENT,
        sent_at=timezone.now(),
        remote_id=posted.remote_id,
        remote_url=posted.remote_url,
    )
    theirs_id = mastodon.add_status(
        "Hoe lang moet ik mijn antibiotica nog slikken na de operatie?", in_reply_to=ours.remote_id
    )
    runner.read_account(account)
    conversation = Conversation.objects.get(account=account)
    assert conversation.status == "new" and "medical_question" in conversation.labels
    SavedReply.objects.create(
        title="Naar een privékanaal", text=NEUTRAL, neutral=True, locale=Locale.objects.get(language_code="nl")
    )
    worker = person(django_user_model, "wim", "Conversations", "Wim")
    lead = person(django_user_model, "lotte", "Conversation leads", "Lotte")

    # Wim opens the conversation from the inbox and answers with the neutral saved reply.
    admin_login(page, worker, PASSWORD)
    page.goto(f"{live_server.url}{reverse('conversations:index')}")
    page.locator("main table.listing").get_by_role("link", name=re.compile("antibiotica")).click()
    page.wait_for_url(f"**{reverse('conversations:thread', args=[conversation.pk])}")
    assert "Medische vraag" in page.locator("main").inner_text()
    page.get_by_label("Standaardantwoord").select_option(label="Naar een privékanaal")
    page.get_by_role("button", name="Antwoord versturen").click()
    page.wait_for_load_state()
    assert "wacht op goedkeuring" in page.locator(".messages").inner_text()
    assert not mastodon.replies_to(theirs_id)  # nothing is posted before the approval
    page.shots("waiting-for-approval")

    # Lotte sees it on her dashboard, reviews it and approves.
    lead_context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    lead_page = lead_context.new_page()
    lead_page.set_default_navigation_timeout(60_000)
    admin_login(lead_page, lead, PASSWORD)
    approvals_link = lead_page.locator("[data-inbox-approvals]").get_by_role("link")
    assert approvals_link.inner_text().strip() == "Eén antwoord wacht op uw goedkeuring."
    approvals_link.click()
    lead_page.wait_for_url(f"**{reverse('conversations_replies:approvals')}")
    lead_page.get_by_role("link", name="Bekijken").click()
    assert NEUTRAL in lead_page.locator("main").inner_text()
    lead_page.get_by_role("button", name="Goedkeuren en versturen").click()
    lead_page.wait_for_load_state()
    assert "goedgekeurd" in lead_page.locator(".messages").inner_text()

    # The answer is on the network, under the patient's status, and in the thread as ours.
    [posted] = mastodon.replies_to(theirs_id)
    assert NEUTRAL in posted["text"] and posted["visibility"] == "public"
    lead_page.goto(f"{live_server.url}{reverse('conversations:thread', args=[conversation.pk])}")
    ours_in_thread = lead_page.locator(".inbox-message--ours")
    assert NEUTRAL in ours_in_thread.inner_text() and "Wim" in ours_in_thread.inner_text()
    assert "Beantwoord" in lead_page.locator("[data-status]").inner_text()
    lead_page.screenshot(path=str(page.shots.folder / "answered.png"), full_page=True)
    lead_context.close()
    conversation.refresh_from_db()
    assert conversation.status == "answered" and conversation.first_reply_at is not None
