"""The syndication plan panel in the story editor: channels, default text, limits, consent."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, rich_text, streamfield

from channels import plan as planning
from channels.models import ChannelAccount
from stories.models import PatientStoryPage
from tests.consent.gate_fixtures import build_consent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("networks")]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


EDIT = "wagtailadmin_pages:edit"


@pytest.fixture
def superuser(django_user_model):
    """A superuser whose admin speaks English, so the tests can read the messages."""
    from wagtail.users.models import UserProfile

    user = django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return user


@pytest.fixture
def editor_client(client, superuser):
    client.force_login(superuser)
    return client


def edit_data(client, page, plans=(), **changes):
    """The edit form as a browser posts it, with ``plans`` as the syndication plan's rows."""
    response = client.get(reverse(EDIT, args=[page.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for key in [key for key in data if key.startswith(("body-", "post_plans-"))]:
        del data[key]
    body = nested_form_data({"body": streamfield([("paragraph", rich_text("<p>Ik werd goed geholpen.</p>"))])})
    rows = {
        "post_plans-TOTAL_FORMS": str(len(plans)),
        "post_plans-INITIAL_FORMS": "0",
        "post_plans-MIN_NUM_FORMS": "0",
        "post_plans-MAX_NUM_FORMS": "1000",
    }
    for index, plan in enumerate(plans):
        row = {
            "id": "",
            "ORDER": str(index + 1),
            "DELETE": "",
            "enabled": "on",
            "text": "",
            "image": "",
            "image_alt": "",
            "publish_at": "",
            "utm_campaign": "",
            **plan,
        }
        if row["enabled"] is False:
            del row["enabled"]
        rows.update({f"post_plans-{index}-{key}": str(value) for key, value in row.items()})
    for key, value in {**body, **rows, **changes}.items():
        data[key] = value
    return data


def save_draft(client, page, plans=(), **changes):
    return client.post(reverse(EDIT, args=[page.pk]), edit_data(client, page, plans, **changes))


def draft_plans(page):
    """The plans of the story's latest revision (a draft's plans live in its revision)."""
    draft = type(page).objects.get(pk=page.pk).get_latest_revision_as_object()
    return draft, list(draft.post_plans.all())


def plan_errors(response, index=0):
    assert response.status_code == 200, "the form should have been refused"
    form = response.context["form"]
    errors = form.formsets["post_plans"].forms[index].errors
    with translation.override("en"):
        return {field: [str(error) for error in messages] for field, messages in errors.items()}


# Rendering


@pytest.mark.parametrize("story_type", ["patient", "organisation"])
def test_plan_panel_renders_in_the_story_editor(
    editor_client, accounts, make_patient_story, make_org_story, story_type
):
    page = make_patient_story() if story_type == "patient" else make_org_story(summary="Nieuws in het kort.")
    response = editor_client.get(reverse(EDIT, args=[page.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sharing" in html
    assert "data-plan-panel" in html
    assert "channels/plan/plan-panel.js" in html
    # Every account is listed with the network's limit for the live counter.
    specs = json.loads(re.search(r'data-plan-accounts="([^"]*)"', html).group(1).replace("&quot;", '"'))
    by_kind = {spec["kind"]: spec for spec in specs.values()}
    assert by_kind["bluesky"]["max_chars"] == 300 and by_kind["bluesky"]["counted_as"] == "graphemes"
    assert by_kind["mastodon"]["url_weight"] == 23
    assert by_kind["instagram"]["requires_media"] is True
    assert "utm_source=mastodon" in by_kind["mastodon"]["link"]
    assert "{text}" in by_kind["mastodon"]["template"]
    # The summary is the placeholder of each post's text (the default).
    assert f'placeholder="{page.summary}"' in html


def test_saved_plan_with_empty_text_uses_the_summary(editor_client, accounts, make_org_story):
    page = make_org_story(summary="Onze nieuwe poli opent maandag.")
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk}])
    assert response.status_code == 302
    draft, [plan] = draft_plans(page)
    assert plan.text == ""
    post = planning.build_post(plan, draft, with_media=False)
    assert post.text == "Onze nieuwe poli opent maandag."
    assert "utm_source=mastodon" in post.link and "utm_medium=social" in post.link
    # The editor's preview shows the composed post with the summary and the tagged link.
    html = editor_client.get(reverse(EDIT, args=[page.pk])).content.decode()
    preview = html[html.index("data-plan-post-text") :][:400]
    assert "Onze nieuwe poli opent maandag." in preview
    assert "utm_source=mastodon" in preview


# Limits, as each network counts


def test_bluesky_text_too_long_by_graphemes(editor_client, accounts, make_org_story):
    page = make_org_story()
    link = planning.story_link(page, accounts["bluesky"])
    bluesky = accounts["bluesky"].adapter()
    spare = 300 - bluesky.count(bluesky.compose(planning.Post(text="", link=link)))
    # "é" written as e + a combining accent is one grapheme but two code points: fits by graphemes
    # (and stays under Bluesky's 3,000-byte cap, which a long run of family emoji would not).
    fits = "e\u0301" * (spare - 2)
    assert len(fits) > spare
    response = save_draft(editor_client, page, plans=[{"account": accounts["bluesky"].pk, "text": fits}])
    assert response.status_code == 302
    too_long = "e\u0301" * (spare + 5)
    response = save_draft(editor_client, page, plans=[{"account": accounts["bluesky"].pk, "text": too_long}])
    errors = plan_errors(response)
    assert any("Bluesky" in message and "300" in message for message in errors["text"])


def test_mastodon_counts_each_url_as_23_characters(editor_client, accounts, make_org_story):
    page = make_org_story()
    long_url = "https://example.org/" + "a" * 400
    text = "Lees meer: " + long_url
    # 431 characters as written, far less as Mastodon counts: accepted.
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk, "text": text}])
    assert response.status_code == 302
    # The same length in plain words is refused.
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk, "text": "a" * 490}])
    errors = plan_errors(response)
    assert any("Mastodon" in message and "500" in message for message in errors["text"])


def test_instagram_needs_an_image(editor_client, accounts, make_org_story, image):
    page = make_org_story()
    response = save_draft(editor_client, page, plans=[{"account": accounts["instagram"].pk, "text": "Kijk!"}])
    errors = plan_errors(response)
    assert any("Instagram" in message for message in errors["image"])
    response = save_draft(
        editor_client,
        page,
        plans=[{"account": accounts["instagram"].pk, "image": image.pk, "image_alt": "De nieuwe wachtkamer."}],
    )
    assert response.status_code == 302


def test_instagram_takes_the_hero_image_by_default(editor_client, accounts, make_org_story, image):
    page = make_org_story(hero_image=image, hero_image_alt="De ingang van het ziekenhuis.")
    response = save_draft(editor_client, page, plans=[{"account": accounts["instagram"].pk}])
    assert response.status_code == 302
    draft, [plan] = draft_plans(page)
    post = planning.build_post(plan, draft)
    assert post.media and post.media[0].alt == "De ingang van het ziekenhuis."
    assert post.media[0].content_type == "image/jpeg"


def test_an_image_needs_alt_text(editor_client, accounts, make_org_story, image):
    page = make_org_story()
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk, "image": image.pk}])
    errors = plan_errors(response)
    assert errors["image_alt"] == ["Describe the image for people who cannot see it."]


def test_switched_off_plans_are_not_checked(editor_client, accounts, make_org_story):
    page = make_org_story()
    response = save_draft(
        editor_client, page, plans=[{"account": accounts["instagram"].pk, "text": "Zonder beeld", "enabled": False}]
    )
    assert response.status_code == 302
    assert draft_plans(page)[1][0].enabled is False


# Consent


def test_organisation_story_has_every_active_channel(accounts, make_org_story):
    page = make_org_story()
    availability = planning.channel_availability(page)
    assert {account.kind for account, available, _reason in availability if available} == {
        "bluesky",
        "mastodon",
        "instagram",
    }


def test_unavailable_accounts_say_why(accounts, make_org_story):
    accounts["bluesky"].active = False
    accounts["bluesky"].save()
    accounts["mastodon"].status = ChannelAccount.Status.EXPIRED
    accounts["mastodon"].save()
    reasons = {
        account.kind: (available, str(reason))
        for account, available, reason in planning.channel_availability(make_org_story())
    }
    assert reasons["bluesky"] == (False, "The account Ons Bluesky is inactive.")
    assert reasons["mastodon"][0] is False and "expired" in reasons["mastodon"][1]
    assert reasons["instagram"][0] is True


def test_patient_story_without_consent_may_draft_plans(editor_client, accounts, make_patient_story):
    page = make_patient_story()
    availability = planning.channel_availability(page)
    assert all(not available for _account, available, _reason in availability)
    assert all("No signed consent yet" in str(reason) for _account, _available, reason in availability)
    response = save_draft(editor_client, page, plans=[{"account": accounts["bluesky"].pk}])
    assert response.status_code == 302
    assert len(draft_plans(page)[1]) == 1
    html = editor_client.get(reverse(EDIT, args=[page.pk])).content.decode()
    assert "No signed consent yet" in html


def test_patient_story_channels_follow_the_consent(editor_client, accounts, make_patient_story):
    page = make_patient_story()
    build_consent(page, channels=["website", accounts["mastodon"].channel_key])
    reasons = {
        account.kind: (available, str(reason)) for account, available, reason in planning.channel_availability(page)
    }
    assert reasons["mastodon"][0] is True
    assert reasons["bluesky"] == (False, "The consent does not include Bluesky (Ons Bluesky).")
    # The panel shows the reason next to the channel.
    html = editor_client.get(reverse(EDIT, args=[page.pk])).content.decode()
    assert "The consent does not include Bluesky (Ons Bluesky)." in html
    # Planning an uncovered channel is refused, naming the channel; a covered one is saved.
    response = save_draft(editor_client, page, plans=[{"account": accounts["bluesky"].pk}])
    errors = plan_errors(response)
    assert errors["account"] == ["The consent does not include Bluesky (Ons Bluesky)."]
    assert draft_plans(page)[1] == []
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk}])
    assert response.status_code == 302
    assert [plan.account for plan in draft_plans(page)[1]] == [accounts["mastodon"]]


def test_consent_for_all_social_accounts_covers_every_account(accounts, make_patient_story):
    page = make_patient_story()
    build_consent(page, channels=["website", "social"])
    assert all(available for _account, available, _reason in planning.channel_availability(page))


def test_withdrawn_channel_is_unavailable_and_refused(editor_client, accounts, make_patient_story):
    page = make_patient_story()
    consent = build_consent(page, channels=["website", accounts["bluesky"].channel_key])
    consent.withdrawn_channels = [accounts["bluesky"].channel_key]
    consent.save()
    reasons = {account.kind: str(reason) for account, _available, reason in planning.channel_availability(page)}
    assert reasons["bluesky"] == "Consent was withdrawn for Bluesky."
    response = save_draft(editor_client, page, plans=[{"account": accounts["bluesky"].pk}])
    assert plan_errors(response)["account"] == ["Consent was withdrawn for Bluesky."]


def test_story_changed_after_signing_waits_for_the_new_signature(accounts, make_patient_story):
    page = make_patient_story()
    build_consent(page, channels=["website", "social"])
    page.summary = "Een andere samenvatting."
    page.save_revision()
    page = PatientStoryPage.objects.get(pk=page.pk)
    availability = planning.channel_availability(page)
    assert all(not item.available and not item.blocking for item in availability)
    assert all("changed after signing" in str(item.reason) for item in availability)


def test_the_panel_tells_editors_of_patient_stories_that_posts_are_signed(
    editor_client, accounts, make_patient_story, make_org_story
):
    note = "Changing, adding or deleting a post after signing needs a new signature"
    patient = editor_client.get(reverse(EDIT, args=[make_patient_story().pk])).content.decode()
    assert note in patient
    organisation = editor_client.get(reverse(EDIT, args=[make_org_story().pk])).content.decode()
    assert "data-plan-panel" in organisation and note not in organisation


def test_a_plan_change_after_signing_is_a_change_of_the_signed_content(editor_client, accounts, make_patient_story):
    page = make_patient_story()
    response = save_draft(editor_client, page, plans=[{"account": accounts["mastodon"].pk, "text": "Eerste tekst."}])
    assert response.status_code == 302
    signed = PatientStoryPage.objects.get(pk=page.pk).get_latest_revision()
    build_consent(page, revision=signed, channels=["website", accounts["mastodon"].channel_key])
    fresh = PatientStoryPage.objects.get(pk=page.pk)
    assert {item.account.kind: item for item in planning.channel_availability(fresh)}["mastodon"].available
    plan_id = draft_plans(page)[1][0].pk
    response = save_draft(
        editor_client,
        page,
        plans=[{"id": plan_id, "account": accounts["mastodon"].pk, "text": "Tweede tekst."}],
        **{"post_plans-INITIAL_FORMS": "1"},
    )
    assert response.status_code == 302
    assert draft_plans(page)[1][0].text == "Tweede tekst."
    fresh = PatientStoryPage.objects.get(pk=page.pk)
    mastodon = {item.account.kind: item for item in planning.channel_availability(fresh)}["mastodon"]
    assert not mastodon.available and mastodon.code == planning.CHANGED
