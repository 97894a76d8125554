"""Signals other apps listen to. Consent never imports channel or newsletter code.

``consent_signed(sender=Consent, consent)``: a signature was recorded.
``consent_withdrawn(sender=Consent, consent, channels, reason)``: the listed channel keys are no
longer covered (``reason`` is ``"withdrawn"``, ``"expired"`` or ``"erased"``). Receivers take the
story off those channels: the channels app retracts posts, the newsletter drops it from unsent
issues and its archive. Receivers must not raise: they enqueue work and record what they did.
"""

from django.dispatch import Signal

consent_signed = Signal()
consent_withdrawn = Signal()
