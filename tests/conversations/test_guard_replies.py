"""The outgoing check on our replies: health details warned about, a patient named beyond their consent blocked.

The stories are real pages from the project's factories, their consents signed through
``consent.services.sign`` (``build_consent``).
"""

import datetime

import pytest
from django.utils import timezone, translation

from conversations.guard import check_reply
from conversations.guard.replies import naming_in_force
from conversations.models import Conversation, Message
from tests.factories import ChannelAccountFactory, PersonFactory, build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def account():
    return ChannelAccountFactory()


@pytest.fixture
def conversation_under(account):
    counter = {"n": 0}

    def _make(story=None, incoming=()):
        counter["n"] += 1
        conversation = Conversation.objects.create(
            account=account, root_external_id=f"root-{counter['n']}", story=story
        )
        for number, text in enumerate(incoming):
            Message.objects.create(
                conversation=conversation,
                account=account,
                external_id=f"m-{counter['n']}-{number}",
                text=text,
                created_at=timezone.now() - datetime.timedelta(minutes=5),
            )
        return conversation

    return _make


@pytest.fixture
def storyteller(db):
    return PersonFactory(full_name="Anna de Vries", first_name="Anna", pseudonym="Roos")


def story_with_consent(make_patient_story, storyteller, naming, consent_naming=None, **consent_fields):
    story = make_patient_story(title="Mijn nieuwe knie", naming=naming, storyteller=storyteller)
    build_consent(
        story, channels=("website", "social"), person=storyteller, naming=consent_naming or naming, **consent_fields
    )
    return story


def texts(items):
    return [str(item) for item in items]


def test_full_name_is_blocked_when_the_patient_agreed_to_first_name_only(
    make_patient_story, storyteller, conversation_under
):
    conversation = conversation_under(story_with_consent(make_patient_story, storyteller, "first_name"))
    result = check_reply("Thank you Anna de Vries for sharing your story!", conversation=conversation)
    assert texts(result.blocks) == ["names the patient in full; they agreed to be named by first name only"]
    assert check_reply("Thank you Anna, for sharing your story!", conversation=conversation).blocks == []
    # The surname alone says who she is just as well.
    assert texts(check_reply("Bedankt mevrouw De Vries!", conversation=conversation).blocks) == [
        "names the patient's surname; they agreed to be named by first name only"
    ]


def test_the_block_is_in_dutch_for_a_dutch_reader(make_patient_story, storyteller, conversation_under):
    conversation = conversation_under(story_with_consent(make_patient_story, storyteller, "first_name"))
    result = check_reply("Dank je wel, Anna de Vries!", conversation=conversation)
    with translation.override("nl"):
        assert texts(result.blocks) == [
            "noemt de volledige naam van de patiënt; ze gaven toestemming om alleen met hun voornaam genoemd te worden"
        ]


def test_under_a_pseudonym_the_real_first_name_is_blocked_and_the_pseudonym_allowed(
    make_patient_story, storyteller, conversation_under
):
    conversation = conversation_under(story_with_consent(make_patient_story, storyteller, "pseudonym"))
    assert texts(check_reply("Wat dapper van je, Anna!", conversation=conversation).blocks) == [
        "names the patient's first name; they agreed to be named by a pseudonym only"
    ]
    assert check_reply("Wat dapper van je, Roos!", conversation=conversation).blocks == []
    # A name that only starts the same is another name.
    assert check_reply("Dank je, Annabel, voor je reactie!", conversation=conversation).blocks == []


def test_anonymous_stories_block_every_name_of_the_storyteller(make_patient_story, storyteller, conversation_under):
    conversation = conversation_under(story_with_consent(make_patient_story, storyteller, "anonymous"))
    assert texts(check_reply("Anna, thank you!", conversation=conversation).blocks) == [
        "names the patient's first name; they agreed to stay anonymous"
    ]
    assert texts(check_reply("Thank you Roos!", conversation=conversation).blocks) == [
        "names the patient by their pseudonym; they agreed to stay anonymous"
    ]


def test_full_name_is_fine_when_the_consent_allows_it(make_patient_story, storyteller, conversation_under):
    conversation = conversation_under(story_with_consent(make_patient_story, storyteller, "full_name"))
    assert check_reply("Thank you Anna de Vries!", conversation=conversation).blocks == []


def test_the_most_careful_naming_is_in_force(make_patient_story, storyteller, conversation_under):
    # The page still says full name; the signer chose first name only.
    story = story_with_consent(make_patient_story, storyteller, "full_name", consent_naming="first_name")
    assert naming_in_force(story) == "first_name"
    result = check_reply("Thank you Anna de Vries!", conversation=conversation_under(story))
    assert texts(result.blocks) == ["names the patient in full; they agreed to be named by first name only"]


def test_after_a_withdrawal_the_patient_may_not_be_named_at_all(make_patient_story, storyteller, conversation_under):
    story = story_with_consent(make_patient_story, storyteller, "full_name", withdrawn_at=timezone.now())
    assert naming_in_force(story) == "anonymous"
    result = check_reply("Thanks Anna!", conversation=conversation_under(story))
    assert texts(result.blocks) == ["names the patient; their consent is no longer active, so they may not be named"]


def test_organisation_stories_and_direct_messages_block_nothing(make_org_story, conversation_under):
    conversation = conversation_under(make_org_story(title="Nieuwe OK"))
    assert check_reply("Thanks Anna de Vries!", conversation=conversation).blocks == []
    assert check_reply("Thanks Anna de Vries!", conversation=conversation_under()).blocks == []
    assert check_reply("Thanks Anna de Vries!", conversation=None).blocks == []


def test_the_check_reads_little(make_patient_story, storyteller, conversation_under, django_assert_max_num_queries):
    conversation = conversation_under(
        story_with_consent(make_patient_story, storyteller, "first_name"), incoming=["Ik heb ook diabetes"] * 5
    )
    conversation = Conversation.objects.get(pk=conversation.pk)
    with django_assert_max_num_queries(5):
        check_reply("Veel sterkte met je diabetes, Anna de Vries", conversation=conversation)


@pytest.mark.parametrize(
    "reply",
    [
        "We hope your mother recovers well from her surgery",
        "Sterkte met je chemo!",
        "Beterschap voor je vader na zijn operatie",
        "Goed om te horen dat uw opname prettig verliep",
        "Good luck with your treatment next week!",
    ],
)
def test_health_details_about_the_person_are_warned_about(reply):
    result = check_reply(reply)
    assert result.warnings
    assert result.blocks == []


@pytest.mark.parametrize(
    "reply",
    [
        "Thank you for your kind words!",
        "Dank je wel voor je mooie reactie 😊",
        "Wilt u ons een privébericht sturen? Dan kijken we met u mee.",
        "Our visiting hours are from 10 to 20.",
    ],
)
def test_a_neutral_reply_gets_no_warning(reply):
    assert check_reply(reply).ok


def test_repeating_a_detail_from_their_message_is_named(conversation_under):
    conversation = conversation_under(incoming=["Ik heb sinds vorig jaar diabetes en deze post helpt me"])
    result = check_reply("Fijn dat de post helpt bij je diabetes!", conversation=conversation)
    assert "repeats a health detail from their message" in texts(result.warnings)
    with translation.override("nl"):
        assert "herhaalt een gezondheidsdetail uit hun bericht" in texts(result.warnings)


def test_confirming_a_patient_is_named(conversation_under):
    result = check_reply("We hope your mother recovers well from her surgery")
    assert "wishes them well with a treatment or recovery, which tells others they are ill" in texts(result.warnings)
    result = check_reply("We're glad your stay on our ward went well")
    assert "confirms that they or a relative are a patient" in texts(result.warnings)
