"""The evidence log: append-only, hash-chained, and tampering is detected."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from consent.evidence import digest_personal, record_event, verify_chain
from consent.models import ConsentEvent

pytestmark = pytest.mark.django_db


def write_three():
    return [
        record_event(ConsentEvent.Kind.REQUESTED, story_id=1, actor="user:1", data={"channels": ["website"]}),
        record_event(ConsentEvent.Kind.SIGNED, story_id=1, actor="signer", personal={"ip": "192.0.2.1"}),
        record_event(ConsentEvent.Kind.WITHDRAWN, story_id=1, actor="signer", data={"channels": ["website"]}),
    ]


def test_entries_chain_and_verify(capsys):
    events = write_three()
    assert [event.sequence for event in events] == [1, 2, 3]
    assert events[1].previous_hash == events[0].hash and events[2].previous_hash == events[1].hash
    assert verify_chain() is None
    call_command("verify_consent_log")
    assert "intact (3 entries)" in capsys.readouterr().out


def test_personal_details_are_only_a_digest():
    event = write_three()[1]
    stored = ConsentEvent.objects.get(pk=event.pk)
    assert "192.0.2.1" not in str(stored.data) and stored.personal_digest == digest_personal({"ip": "192.0.2.1"})


def test_the_app_cannot_change_or_delete_evidence():
    event = write_three()[0]
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(pk=event.pk).update(actor="someone else")
    with pytest.raises(PermissionError):
        ConsentEvent.objects.all().delete()


def test_an_edited_row_is_detected():
    write_three()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE consent_consentevent SET actor = 'user:99' WHERE sequence = 2")
    problem = verify_chain()
    assert problem and "#2" in problem and "changed" in problem
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_consent_log")


def test_a_deleted_row_is_detected():
    write_three()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM consent_consentevent WHERE sequence = 2")
    assert "#2 is missing" in verify_chain()


def test_a_deleted_last_row_is_detected():
    write_three()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM consent_consentevent WHERE sequence = 3")
    assert "deleted" in verify_chain()


def test_a_rewritten_chain_tail_is_detected():
    events = write_three()
    with connection.cursor() as cursor:
        # Forge entry 3 with a consistent hash of its own, but not linked to entry 2.
        cursor.execute("UPDATE consent_consentevent SET previous_hash = %s WHERE sequence = 3", ["f" * 64])
    assert verify_chain() is not None
    assert events
