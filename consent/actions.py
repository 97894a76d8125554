"""The state-changing buttons of the consent admin, as Wagtail actions (``wagtail.actions.base.BaseAction``).

Each action holds its permission check (``check()``, through ``user_has_permission()``) and the
change it makes (``execute()``), so the admin views (``consent.admin_views``) only read the POST,
run the action and answer; code that calls an action gets the same checks as the button.

- Editors act on their stories' requests through their page edit permission: request consent,
  send a new link (``ResendRequestAction``), revoke a request, apply the naming the signer chose.
- Consent officers erase a person (``consent.erase_person``).
"""

from django.core.exceptions import PermissionDenied
from wagtail.actions.base import BaseAction

from .services.erasure import erase_person
from .services.requests import create_request, resend, revoke, send_request_email


class ConsentPermissionError(PermissionDenied):
    """The user may not do this to the story or the person."""


class _ConsentAction(BaseAction):
    permission_error_class = ConsentPermissionError

    @property
    def actor(self):
        return f"user:{self.user.pk}" if self.user is not None else "system"


class StoryEditorAction(_ConsentAction):
    """An action on a story's consent that whoever may edit the story may take."""

    def story(self):
        raise NotImplementedError

    def user_has_permission(self):
        story = self.story()
        return story is not None and story.permissions_for_user(self.user).can_edit()


class RequestConsentAction(StoryEditorAction):
    """Create a consent request for a story's latest revision; by email, send the link at once."""

    action_name = "consent.request"

    def story(self):
        return self.instance

    def execute(self, data, *, delivery, previous_consent=None, skip_permission_checks=False):
        """Return ``(request, token)``; the raw token is only for a printable link, shown once."""
        from .models import ConsentRequest

        self.check(skip_permission_checks=skip_permission_checks)
        consent_request, token = create_request(
            story=self.instance,
            signer_name=data["signer_name"],
            signer_email=data["signer_email"],
            signer_role=data["signer_role"],
            language=data["language"],
            proposed_channels=data["proposed_channels"],
            delivery=delivery,
            created_by=self.user,
            previous_consent=previous_consent,
        )
        if consent_request.delivery == ConsentRequest.Delivery.EMAIL:
            send_request_email(consent_request, token)
        return consent_request, token


class ResendRequestAction(StoryEditorAction):
    """Send a pending (or expired) request again with a new link; the old link stops working."""

    action_name = "consent.resend"

    def story(self):
        return self.instance.story

    def execute(self, skip_permission_checks=False):
        """Return the new raw token, or ``None`` when the request can no longer be signed."""
        self.check(skip_permission_checks=skip_permission_checks)
        return resend(self.instance, actor=self.actor)


class RevokeRequestAction(StoryEditorAction):
    """Revoke a pending request: its link stops working."""

    action_name = "consent.revoke"

    def story(self):
        return self.instance.story

    def execute(self, skip_permission_checks=False):
        """Return True when the request was pending (and is now revoked)."""
        self.check(skip_permission_checks=skip_permission_checks)
        return revoke(self.instance, actor=self.actor)


class ApplySignedNamingAction(StoryEditorAction):
    """Save a draft of the story with the naming the signer chose (never changed silently at signing)."""

    action_name = "consent.apply_naming"

    def story(self):
        return self.instance.request.story

    def execute(self, skip_permission_checks=False):
        """Return True when a new draft was saved; the draft then matches the signed content."""
        self.check(skip_permission_checks=skip_permission_checks)
        consent = self.instance
        story = consent.story.specific.get_latest_revision_as_object()
        if story.naming == consent.naming:
            return False
        story.naming = consent.naming
        story.save_revision(user=self.user, log_action=True)
        return True


class ErasePersonAction(_ConsentAction):
    """Erase a person's personal data and withdraw every consent they gave (consent officers only)."""

    action_name = "consent.erase_person"
    permission = "consent.erase_person"

    def user_has_permission(self):
        return self.user.has_perm(self.permission)

    def execute(self, skip_permission_checks=False):
        """Return the person's consents, each withdrawn with the reason "erased"."""
        self.check(skip_permission_checks=skip_permission_checks)
        return erase_person(self.instance, actor=self.actor)
