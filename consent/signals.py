"""Signals other apps listen to. Consent never imports channel, story or newsletter code.

The layer contract (``make lint``) checks that: the apps above listen here, and answer what
consent asks of them through its hooks (``consent.hooks``).

``consent_signed(sender=Consent, consent)``: a signature was recorded.
``consent_withdrawn(sender=Consent, consent, channels, reason)``: the listed channel keys are no
longer covered (``reason`` is ``"withdrawn"``, ``"expired"`` or ``"erased"``). Receivers take the
story off those channels: the channels app retracts posts, the newsletter drops it from unsent
issues and its archive. Receivers must not raise: they enqueue work and record what they did.
"""

from django.dispatch import Signal

consent_signed = Signal()
consent_withdrawn = Signal()
