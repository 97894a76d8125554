"""Issue 11, hole 10: with the mail server down, nobody gets a 500 and no receipt is lost.

The mail backend is Django's SMTP backend pointed at a loopback port nobody listens on: a real
connection refused, not a mock.
"""

import re
import socket

import pytest
from django.core import mail
from django.test import Client

from consent.models import Consent, ConsentRequest
from consent.services import create_request

pytestmark = pytest.mark.django_db

SIGN = {
    "channels": ["website"],
    "naming": "first_name",
    "typed_name": "Anna de Vries",
    "relation": "myself",
    "declaration": "on",
    "sign": "1",
}


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    return settings


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn nieuwe knie", naming="first_name")


def new_request(story, editor, delivery=ConsentRequest.Delivery.EMAIL):
    consent_request, token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="en",
        proposed_channels=["website"],
        delivery=delivery,
        created_by=editor,
    )
    return consent_request, f"/en/consent/sign/{token}/"


def test_signing_with_mail_down_shows_the_receipt_and_a_working_withdrawal_link(mail_down, editor, story):
    _request, link = new_request(story, editor)
    signer = Client(raise_request_exception=False)
    receipt = signer.post(link, SIGN)
    assert receipt.status_code == 200
    consent = Consent.objects.get()
    html = receipt.content.decode()
    assert consent.reference in html
    withdraw = re.search(r'href="http://testserver(/en/consent/withdraw/[^"]+/)"', html).group(1)
    # The link shown is the signer's own way out, even though no mail went out.
    assert "Withdraw" in signer.get(withdraw).content.decode()


def test_a_failed_receipt_is_retried_later_and_then_arrives(mail_down, editor, story):
    from django_tasks_db.models import DBTaskResult

    mail_down.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _request, link = new_request(story, editor)
    assert Client().post(link, SIGN).status_code == 200
    queued = DBTaskResult.objects.get(task_path="consent.tasks.send_queued_mail")
    # Nothing personal in the queue: neither the address nor a token.
    assert "anna@example.org" not in str(queued.args_kwargs) and "/withdraw/" not in str(queued.args_kwargs)
    from consent.tasks import send_queued_mail

    assert send_queued_mail.call(*queued.args_kwargs["args"]) == "retrying"
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.run_after is not None and retry.args_kwargs["args"][2] == 2

    mail_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_queued_mail.call(*retry.args_kwargs["args"]) == "sent"
    receipt = mail.outbox[-1]
    assert receipt.to == ["anna@example.org"] and Consent.objects.get().reference in receipt.subject
    assert "/consent/withdraw/" in receipt.body and receipt.attachments


def test_editor_request_and_one_time_code_with_mail_down(mail_down, client, editor, story):
    client.force_login(editor)
    response = client.post(
        f"/admin/consent/request/{story.pk}/",
        {
            "signer_name": "Anna",
            "signer_email": "anna@example.org",
            "signer_role": "patient",
            "language": "en",
            "proposed_channels": ["website"],
        },
    )
    assert response.status_code == 302 and ConsentRequest.objects.count() == 1
    _request, link = new_request(story, editor, delivery=ConsentRequest.Delivery.IN_PERSON)
    assert Client().post(link, {"send_code": "1"}).status_code == 200


def test_withdrawal_with_mail_down(mail_down, editor, story, settings):
    settings.VERTEL = {**settings.VERTEL, "CONSENT_OFFICER_EMAIL": "privacy@example.org"}
    _request, link = new_request(story, editor)
    html = Client().post(link, SIGN).content.decode()
    withdraw = re.search(r'href="http://testserver(/en/consent/withdraw/[^"]+/)"', html).group(1)
    response = Client().post(withdraw, {})
    assert response.status_code == 200
    assert Consent.objects.get().withdrawn_at is not None


def test_newsletter_sign_up_with_mail_down(mail_down):
    from newsletter.models import Subscriber

    data = {"email": "reader@example.org", "language": "en", "source": "story", "source_page": "/en/stories/x/"}
    response = Client(raise_request_exception=False).post("/en/newsletter/subscribe/", data, REMOTE_ADDR="203.0.113.9")
    assert response.status_code in (200, 302)
    assert Subscriber.objects.filter(email="reader@example.org").exists()


def test_a_lost_withdrawal_link_is_replaced_by_mail_to_the_address_on_file(mail_down, editor, story):
    _request, link = new_request(story, editor)
    html = Client().post(link, SIGN).content.decode()
    old = re.search(r'href="http://testserver(/en/consent/withdraw/[^"]+/)"', html).group(1)
    assert "/en/consent/withdraw-link/" in html  # the receipt page says where to get a new one

    mail_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    visitor = Client()
    unknown = visitor.post("/en/consent/withdraw-link/", {"email": "someone@example.org"})
    known = visitor.post("/en/consent/withdraw-link/", {"email": "Anna@Example.org"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.content == known.content  # nothing says whether an address is known
    assert [message.to for message in mail.outbox] == [["anna@example.org"]]
    new = re.search(r"http://testserver(/en/consent/withdraw/\S+/)", mail.outbox[-1].body).group(1)
    assert new != old and Client().get(old).status_code == 404
    assert Client().post(new, {}).status_code == 200
    assert Consent.objects.get().withdrawn_at is not None
