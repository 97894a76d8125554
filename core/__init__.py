"""The bottom layer: shared vocabulary and infrastructure, without models.

It imports nothing of the project (only Django and Wagtail), so every app may import it: the periodic
schedule (``core.schedule``), the channel keys (``core.channel_keys``), the one way a single e-mail
is sent (``core.mail``, a template per message in the reader's language), the rate limit and the
client's address (``core.ratelimit``), the base form of the page editors (``core.page_forms``) and
the organisation's name with the mail sender made of it (``core.organisation``).
It is a plain package, not an installed app: it has no models, templates, translations, periodic
jobs or other modules that Django discovers per app.
"""
