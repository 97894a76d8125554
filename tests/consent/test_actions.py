"""The consent admin's buttons are Wagtail actions: the check lives in the action, not only in the view.

Code that runs an action (not through the admin) gets the same refusal as the button (issue 12).
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from consent.actions import ErasePersonAction, ResendRequestAction, RevokeRequestAction
from consent.models import ConsentRequest
from consent.services import create_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def consent_request(make_patient_story, django_user_model):
    story = make_patient_story(title="Mijn verhaal")
    request, _token = create_request(
        story=story,
        signer_name="Anna",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=None,
    )
    return request


@pytest.fixture
def outsider(django_user_model):
    user = django_user_model.objects.create_user(username="outsider", password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename="access_admin"))
    return user


def test_an_outsider_is_refused_by_the_action_itself(consent_request, outsider):
    for action in (ResendRequestAction, RevokeRequestAction):
        with pytest.raises(PermissionDenied):
            action(consent_request, user=outsider).execute()
    consent_request.refresh_from_db()
    assert consent_request.status == ConsentRequest.Status.PENDING
    with pytest.raises(PermissionDenied):
        ErasePersonAction(consent_request.person, user=outsider).execute()


def test_an_editor_revokes_and_an_officer_may_erase(consent_request, django_user_model):
    editor = django_user_model.objects.create_superuser(username="chief", password="pw")
    assert RevokeRequestAction(consent_request, user=editor).execute() is True
    consent_request.refresh_from_db()
    assert consent_request.status == ConsentRequest.Status.REVOKED
    officer = django_user_model.objects.create_user(username="officer", password="pw")
    officer.groups.add(Group.objects.get(name="Consent officers"))
    ErasePersonAction(consent_request.person, user=officer).check()  # no refusal
