"""The one way the product sends a single e-mail: a template per message, in the reader's language.

A message is two templates under ``<app>/mail/``: ``<name>_subject.txt`` (one line) and
``<name>.txt`` (the text body), with an optional ``<name>.html``. They are rendered with the
translation of ``language`` active (the reader's, not the request's), so every text in them goes
through ``{% translate %}``/``{% blocktranslate %}`` and is in the app's ``.po`` files.

:func:`render` builds the message without sending it (for a queue that seals it first, or a test);
:func:`send` sends it now. Mass sending (the newsletter) builds its own bytes for speed and is the
one exception (``newsletter.sending``). Every message comes from the organisation's name
(``core.organisation.sender``) unless ``from_email`` says otherwise, and every template has the
name as ``{{ organisation }}``.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from .organisation import organisation_name, sender


def render(template, context, to, *, language=None, from_email=None, reply_to=None, headers=None):
    """An ``EmailMultiAlternatives`` from ``<template>_subject.txt``, ``<template>.txt`` (+ ``.html``)."""
    language = language or settings.LANGUAGE_CODE
    context = {"organisation": organisation_name(), **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context).strip() + "\n"
        try:
            html = render_to_string(f"{template}.html", context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(
        subject,
        body,
        from_email or sender(),
        list(to),
        reply_to=list(reply_to) if reply_to else None,
        headers=dict(headers or {}, **{"Content-Language": language}),
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send(template, context, to, *, language=None, fail_silently=False, **kwargs):
    """Render and send one message; returns the number sent (0 when ``to`` is empty)."""
    to = [address for address in to if address]
    if not to:
        return 0
    return render(template, context, to, language=language, **kwargs).send(fail_silently=fail_silently)
