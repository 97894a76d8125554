"""One meaning of "active": the query (``ConsentQuerySet.active``) and the Python rule agree.

``consent.models.active_q`` and ``Consent.is_active_at`` sit side by side; ``Consent.is_active``
and ``consent.policy.is_active`` use the Python rule. Every mix of withdrawn, erased and end date,
asked at one moment, gets the same answer from each (issue 12).
"""

import datetime
import itertools

import pytest
from django.utils import timezone

from consent import policy
from consent.models import Consent

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


def test_the_query_and_the_python_rule_agree(make_patient_story):
    story = make_patient_story(title="Weer thuis")
    now = timezone.now()
    ends = (None, now - datetime.timedelta(days=1), now + datetime.timedelta(days=1))
    for withdrawn, erased, end in itertools.product((None, now), (None, now), ends):
        consent = build_consent(story, channels=("website",))
        Consent.objects.filter(pk=consent.pk).update(withdrawn_at=withdrawn, erased_at=erased, valid_until=end)
    consents = list(Consent.objects.filter(story=story))
    assert len(consents) == 12
    in_query = set(Consent.objects.filter(story=story).active(now).values_list("pk", flat=True))
    assert {consent.pk for consent in consents if consent.is_active_at(now)} == in_query
    assert {consent.pk for consent in consents if policy.is_active(consent, now)} == in_query
    assert {consent.pk for consent in consents if consent.is_active} == in_query
    assert len(in_query) == 2  # neither withdrawn nor erased, and no end or an end still to come
