"""The newsletter's single mails go through ``core.mail``: the test send and the "not sent" notice."""

import pytest
from django.core import mail
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_not_sent_notice_names_the_issue_the_reason_and_the_admin_page_in_the_active_language(
    make_issue, django_user_model
):
    from newsletter.notices import notify_editors

    author = django_user_model.objects.create_user(username="author", email="author@example.org")
    issue = make_issue([], title="Nieuws\nmei", created_by=author)
    with translation.override("nl"):
        notify_editors(issue, "geen verhaal mag mee")
    [message] = mail.outbox
    assert message.to == [author.email]
    assert message.subject == "Nieuwsbrief “Nieuws mei” is niet verzonden"  # the title on one line
    assert "is niet verzonden: geen verhaal mag mee" in message.body
    assert f"/admin/newsletter/issues/{issue.pk}/send/" in message.body


def test_the_test_send_is_the_issue_with_its_list_headers_and_dead_links(consented_story, make_issue):
    from newsletter.notices import send_test

    story, _consent = consented_story(title="Mijn weg terug")
    issue = make_issue([story])
    send_test(issue, "editor@example.org")
    [message] = mail.outbox
    assert message.to == ["editor@example.org"] and message.subject == "[TEST] Nieuwsbrief mei"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "test-link-not-valid" in message.extra_headers["List-Unsubscribe"]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "Mijn weg terug" in html and "Mijn weg terug" in message.body
