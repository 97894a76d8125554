"""The health-data guard on single messages: the hard cases, its reasons in words, the language.

The messages here are not in the data set (``conversations/guard/data``): they check that the
guard generalises to new wording, not that it remembers its training messages.
"""

import datetime
import logging

import pytest
from django.utils import timezone, translation

from conversations import guard
from conversations.guard import reasons
from conversations.guard.language import detect_language
from conversations.models import Label


@pytest.fixture(autouse=True)
def _english():
    """Reasons are read in English here unless a test switches to Dutch (the site's default)."""
    with translation.override("en"):
        yield


def labels_of(text, language=""):
    return set(guard.classify(text, language).labels)


@pytest.mark.parametrize(
    "text",
    [
        "Great story about the cardiology ward!",
        "Mooi verhaal over de afdeling oncologie, wat een team.",
        "Thank you so much for the lovely open day, the kids loved the ambulance.",
        "Bedankt voor de leuke rondleiding!",
        "This traffic jam near the hospital is killing me haha",
        "Ik ga dood van het lachen om die kerstvideo 😂",
        "Good to see you're paying attention to suicide prevention.",
        "Where can I park my bike at the Oost location?",
        "Hoe laat opent het restaurant op zaterdag?",
    ],
)
def test_harmless_messages_are_not_flagged_even_with_medical_or_dark_words(text):
    assert labels_of(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "I don't see the point any more",
        "iedereen is beter af zonder mij",
        "ik wil er niet meer zijn",
        "honestly nobody would miss me if I was gone",
        "Ik zie echt geen uitweg meer, ik kan het niet meer",
        "I've been thinking about killing myself",
        "ik heb zelfmoordgedachten sinds de opname",
        "My dad collapsed in the garden and isn't breathing, what do I do",
        "Er is een man met een mes op de parkeerplaats",
        "ik wil gewoon slapen en nooit meer wakker worden",
    ],
)
def test_crisis_language_is_flagged_also_when_it_is_indirect(text):
    assert Label.CRISIS in labels_of(text)


def test_a_question_without_medical_words_is_a_medical_question():
    verdict = guard.classify("can my mum still come on Tuesday after what happened?")
    assert Label.MEDICAL_QUESTION in verdict.labels
    assert verdict.unsafe


def test_third_person_disclosure_names_the_relative_and_the_admission():
    verdict = guard.classify("my son has been admitted with a psychosis")
    assert Label.HEALTH_DISCLOSURE in verdict.labels
    assert "names a relative's admission" in [str(reason) for reason in verdict.reasons]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mag ik ibuprofen slikken naast mijn prednison?", {Label.MEDICAL_QUESTION, Label.HEALTH_DISCLOSURE}),
        ("Is het normaal dat mijn wond na de operatie nog zo'n pijn doet?", {Label.MEDICAL_QUESTION}),
        ("How long should I keep taking the antibiotics?", {Label.MEDICAL_QUESTION}),
        ("Mijn oma is gisteren opgenomen met een longontsteking", {Label.HEALTH_DISCLOSURE}),
        ("I was diagnosed with breast cancer in March and your team was amazing", {Label.HEALTH_DISCLOSURE}),
        # Code-switching: Dutch with English words.
        ("Echt super chill dat mijn vader na zijn surgery al naar huis mocht, thanks team", {Label.HEALTH_DISCLOSURE}),
        # Typos.
        ("kan ik paracetemol nemen met mijn bloedverdunners?", {Label.MEDICAL_QUESTION}),
    ],
)
def test_medical_questions_and_disclosures(text, expected):
    assert expected <= labels_of(text)


@pytest.mark.parametrize(
    "text",
    [
        "Waited three hours at the outpatient clinic today. Unacceptable.",
        "Oh fantastic, my appointment moved AGAIN. Love it 🙄",
        "Al twee weken niemand die terugbelt over mijn afspraak, belachelijk",
        "Parkeren kost hier een fortuin, schandalig",
    ],
)
def test_complaints_including_sarcasm(text):
    assert Label.COMPLAINT in labels_of(text)


def test_a_complaint_about_the_car_park_is_not_unsafe():
    verdict = guard.classify("The car park barrier is broken again, ridiculous.")
    assert verdict.labels == (Label.COMPLAINT,)
    assert not verdict.unsafe


def test_multi_label_crisis_with_health_details():
    verdict = guard.classify("Since the diagnosis I keep thinking about ending my life.")
    assert {Label.CRISIS, Label.HEALTH_DISCLOSURE} <= set(verdict.labels)
    # The most urgent reason comes first.
    assert str(verdict.reasons[0]) == "mentions suicidal thoughts"


def test_every_label_has_a_reason_in_words():
    for text in (
        "can my mum still come on Tuesday after what happened?",
        "Ik zie het nut er niet meer van in.",
        "Mijn man ligt sinds zondag op de IC",
        "Waited 4 hours, terrible",
    ):
        verdict = guard.classify(text)
        assert verdict.labels
        assert verdict.reasons
        for reason in verdict.reasons:
            assert len(str(reason).split()) >= 2, reason
            assert "_" not in str(reason)
        with translation.override("nl"):
            assert all(str(reason) != reasons.stored([reason])[0] for reason in verdict.reasons)


def test_reasons_are_translated_into_dutch():
    verdict = guard.classify("Mag ik ibuprofen nemen naast mijn bloedverdunners?")
    with translation.override("nl"):
        shown = [str(reason) for reason in verdict.reasons]
    assert "vraagt naar medicijnen" in shown
    with translation.override("en"):
        assert "asks about medication" in [str(reason) for reason in verdict.reasons]


def test_crisis_reasons_in_dutch():
    verdict = guard.classify("ik wil er niet meer zijn")
    with translation.override("nl"):
        assert [str(reason) for reason in verdict.reasons] == ["klinkt hopeloos of zegt niet meer te willen leven"]


def test_stored_reasons_are_english_and_shown_in_the_readers_language():
    verdict = guard.classify("Ik denk er steeds aan om mezelf pijn te doen")
    with translation.override("nl"):
        stored = reasons.stored(verdict.reasons)
        assert stored == ["mentions self-harm"]
        assert reasons.shown(stored) == ["noemt zelfbeschadiging"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wat een mooi verhaal, dank jullie wel voor het delen!", "nl"),
        ("What a lovely story, thank you for sharing it with us!", "en"),
        ("Ik vind het echt super nice dat jullie dit doen", "nl"),
        ("👍", ""),
    ],
)
def test_language_is_detected_locally(text, language):
    assert detect_language(text) == language
    assert guard.classify(text).language == language


def test_the_language_the_network_gives_wins_and_is_shortened():
    assert guard.classify("ok", language="nl-BE").language == "nl"
    assert guard.classify("Thanks for the update!", language="fr").language == "en"


def test_empty_text_has_no_labels():
    assert guard.classify("").labels == ()
    assert guard.classify("   ").labels == ()


def test_scores_cover_every_label_and_the_verdict_is_deterministic():
    first = guard.classify("Mijn dochter heeft koorts, moet ik naar de huisarts?")
    second = guard.classify("Mijn dochter heeft koorts, moet ik naar de huisarts?")
    assert first == second
    assert set(first.scores) == set(Label.values)


def test_the_guard_never_logs_message_text(caplog):
    secret = "Mijn buurvrouw Truus heeft kanker en ik wil er niet meer zijn"
    with caplog.at_level(logging.DEBUG):
        guard.classify(secret)
    assert "Truus" not in caplog.text
    assert "kanker" not in caplog.text


@pytest.mark.django_db
def test_the_store_keeps_labels_and_english_reasons(caplog):
    from conversations.ingest.store import Incoming, store
    from conversations.models import Message
    from tests.factories import ChannelAccountFactory

    account = ChannelAccountFactory()
    item = Incoming(
        external_id="m-1",
        created_at=timezone.now() - datetime.timedelta(minutes=1),
        text="Iedereen is beter af zonder mij",
        author_name="Someone",
    )
    with translation.override("nl"), caplog.at_level(logging.DEBUG):
        store(account, [item])
    message = Message.objects.get(external_id="m-1")
    assert message.labels == [Label.CRISIS]
    assert message.reasons == ["sounds hopeless or speaks of not wanting to live"]
    assert message.language == "nl"
    assert message.conversation.crisis
    assert "beter af" not in caplog.text
    with translation.override("nl"):
        assert reasons.shown(message.reasons) == ["klinkt hopeloos of zegt niet meer te willen leven"]
