"""The mails of a signature and a withdrawal: the receipt, the confirmations, the notices to staff.

Each is one message with its templates under ``consent/mail/`` (``core.mail``), in the reader's
language, queued and retried while the mail server is down (``consent.tasks.queue_message``).
"""

import logging

from django.conf import settings
from django.utils import timezone, translation

from .editor_notices import staff_recipients, story_details
from .hooks import channel_labels
from .receipt import local_datetime, receipt_rows, story_title
from .tasks import queue_message

logger = logging.getLogger(__name__)


def send_receipt(consent, withdraw_url):
    """Email the signer what they agreed to, with the hashes, their withdrawal link and a PDF copy."""
    from .receipt_pdf import receipt_pdf

    request = consent.request
    if not request.signer_email:
        return
    labels = channel_labels()
    with translation.override(request.language):
        # The same rows as the receipt page and the PDF, in the signer's language.
        rows = receipt_rows(consent, labels)
        try:
            pdf = receipt_pdf(consent, labels, withdraw_url)
        except Exception:  # noqa: BLE001 - the consent is recorded; the email must still go out
            logger.exception("Receipt PDF for consent #%s could not be made", consent.pk)
            pdf = None
    attachments = [(f"consent-{consent.reference}.pdf", pdf, "application/pdf")] if pdf else []
    # Queued, retried: the receipt page is shown whatever the mail server does.
    queue_message(
        "consent/mail/receipt",
        {
            "consent": consent,
            "reference": consent.reference,
            "withdraw_url": withdraw_url,
            "labels": labels,
            "rows": rows,
        },
        [request.signer_email],
        language=request.language,
        label=f"consent receipt #{consent.pk}",
        attachments=attachments,
    )


def notify_co_signers(consent, co_signers):
    """Tell every other signer of the story that it came down because someone else withdrew."""
    for other in co_signers:
        if other.request.signer_email.lower() == consent.request.signer_email.lower():
            continue  # the same person's earlier consent: their own confirmation says it all
        queue_message(
            "consent/mail/co_signer_notice",
            {"reference": other.reference, "title": story_title(other)},
            [other.request.signer_email],
            language=other.request.language or translation.get_language(),
            label=f"co-signer notice #{other.pk}",
        )


def notify_withdrawal(consent, withdrawn):
    """Tell the signer (their confirmation), the story's owner, the editor who asked, and the consent officer."""
    request = consent.request
    labels = channel_labels()
    if request.signer_email:
        language = request.language or translation.get_language()
        with translation.override(language):
            withdrawn_on = local_datetime(consent.withdrawn_at or timezone.now())
        queue_message(
            "consent/mail/withdrawal_confirmation",
            {
                "reference": consent.reference,
                "channels": _channels_text(withdrawn, labels, language),
                "title": story_title(consent),
                "withdrawn_on": withdrawn_on,
            },
            [request.signer_email],
            language=language,
            label=f"withdrawal confirmation #{consent.pk}",
        )
    # The owner, the editor who asked and the consent officer (``consent.editor_notices``).
    for address, language in staff_recipients(consent):
        queue_message(
            "consent/mail/withdrawal_notice",
            {**story_details(consent), "channels": _channels_text(withdrawn, labels, language)},
            [address],
            language=language,
            label=f"withdrawal notice #{consent.pk}",
        )


def _channels_text(keys, labels, language):
    """The channels in words, in the reader's language."""
    with translation.override(language):
        return ", ".join(str(labels.get(key, key)) for key in keys)


def send_new_withdrawal_link(consent, token):
    """Email a fresh withdrawal link to the address the consent was signed with."""
    language = consent.request.language or translation.get_language()
    queue_message(
        "consent/mail/new_withdrawal_link",
        {
            "reference": consent.reference,
            "url": settings.BASE_URL + f"/{language}/consent/withdraw/{token}/",
            "title": story_title(consent),
        },
        [consent.request.signer_email],
        language=language,
        label=f"new withdrawal link #{consent.pk}",
    )
