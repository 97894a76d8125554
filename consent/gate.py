"""The publishing gate for patient stories (see DESIGN.md, 'Wagtail 8 facts').

Wagtail has many doors to publishing (the edit and create views, bulk actions, workflows,
``publish_scheduled``, copies kept live, alias updates, code calling ``revision.publish()``). All of
them end in ``Page.save()`` with ``live=True``, so that is where the hard rule lives. The other
layers only make the refusal friendly: the permission tester hides the Publish button, the
``publish()`` override turns a scheduled publication into a logged cancellation, and the
``before_publish_page`` hook (``consent.gate_hooks``) gives the editor a message instead of an error.

The gate asks the policy (``consent.policy.coverage``) and the workflow; neither asks the gate
(``models ← gating ← policy ← workflow ← gate``). Which pages it holds and whose consents count
(``is_consent_gated``, ``consent_story_id``) are defined in ``consent.gating`` and offered here.
"""

import logging

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.models import PagePermissionTester

from core import channel_keys

from . import policy
from .gating import ConsentGatedPage, consent_story_id, is_consent_gated
from .policy import website_covered as is_covered  # the gate's own name for the policy's question
from .workflow import get_patient_story_workflow

logger = logging.getLogger(__name__)

BLOCKED_LOG_ACTION = "vertel.consent.publish_blocked"

# Fields of the page row that never change what a channel shows: Wagtail's bookkeeping of revisions,
# publishing dates, locks, tree position and comments. A save that writes only these (and not
# ``live``) leaves the live content as it is, so it needs no new check: Wagtail's save_revision()
# saves a live page with only its revision bookkeeping fields, while the in-memory page already
# holds the unpublished draft. Every other field, and any save without ``update_fields``, is
# checked: a field added later is gated until someone decides it is harmless.
BOOKKEEPING_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_id",
        "latest_revision_created_at",
        "draft_title",
        "has_unpublished_changes",
        "live_revision",
        "live_revision_id",
        "first_published_at",
        "last_published_at",
        "go_live_at",
        "expire_at",
        "expired",
        "locked",
        "locked_at",
        "locked_by",
        "locked_by_id",
        "numchild",
        "path",
        "depth",
        "url_path",
        "wagtail_admin_comments",
    }
)


def needs_check(page, update_fields):
    """True when saving ``page`` with ``update_fields`` would write live content that must be covered."""
    if not page.live:
        return False
    if update_fields is None:
        return True
    return bool(set(update_fields) - BOOKKEEPING_FIELDS)


class ConsentRequired(ValidationError):
    """Raised when a patient story would go live without a consent covering exactly that content."""

    def __init__(self, message=None, *, reason="missing", changed=()):
        self.reason = reason
        self.changed = tuple(changed)
        super().__init__(message or blocked_message(reason, changed), code=f"consent_{reason}")


def blocked_message(reason, changed=()):
    """A sentence for the editor that says why publishing was refused and what to do."""
    from .content import FIELD_LABELS

    if reason == "changed":
        fields = ", ".join(str(FIELD_LABELS.get(name, name)) for name in changed)
        if fields:
            return _(
                "The story changed after signing (%(fields)s): a new signature is needed before it can be published."
            ) % {"fields": fields}
        return _("The story changed after signing: a new signature is needed before it can be published.")
    if reason == "no_photos":
        return _(
            "The signer did not allow photos, but the story shows images (hero image, images in the text or a "
            "video's poster): remove them and ask for a new signature, or ask for a consent that allows photos."
        )
    if reason == "no_video":
        return _(
            "The signer did not allow video, but the story shows a video: remove it and ask for a new signature, "
            "or ask for a consent that allows video."
        )
    if reason == "not_website":
        return _("The signed consent does not cover the website: the story cannot be published there.")
    if reason == "inactive":
        return _("The consent for this story has expired or was withdrawn: a new signature is needed.")
    return _("This patient story has no signed consent yet: request consent before publishing it.")


def check_consent(page, content_hash=None):
    """Return ``(consent, None)`` when ``page``'s content may go live on the website, else ``(None, ConsentRequired)``.

    The reason in the exception tells the editor whether the story changed after signing (and
    which fields), whether the consent lacks the website, or whether there is none at all.
    """
    from .content import changed_fields, content_manifest

    answer = policy.coverage(page, channel_keys.WEBSITE, content_hash, media=True)
    if answer.code == policy.COVERED:
        return answer.consent, None
    if answer.code in (policy.NO_PHOTOS, policy.NO_VIDEO):
        return None, ConsentRequired(reason=answer.code)
    if answer.code == policy.CHANGED:
        changed = changed_fields(answer.other_version[0].content_manifest, content_manifest(page))
        return None, ConsentRequired(reason="changed", changed=changed)
    if answer.code == policy.NOT_CHOSEN:
        return None, ConsentRequired(reason="not_website")
    if answer.code in (policy.WITHDRAWN, policy.EXPIRED):
        return None, ConsentRequired(reason="inactive")
    return None, ConsentRequired(reason="missing")


def log_blocked(page, user=None, revision=None, reason=""):
    """Record a refused publication in the page's history (no personal data)."""
    from wagtail.log_actions import log

    log(instance=page, action=BLOCKED_LOG_ACTION, user=user, revision=revision, data={"reason": reason})


class ConsentPagePermissionTester(PagePermissionTester):
    """Says no to publishing, for everyone including superusers, until a consent covers the draft.

    This hides the Publish button and the bulk-publish action and makes Wagtail's API and bulk
    actions refuse. The check uses the latest revision, which is what those doors publish; the
    ``before_publish_page`` hook checks the content actually submitted.
    """

    @cached_property
    def _consent_covers_latest(self):
        page = self.page.specific
        draft = page.get_latest_revision_as_object() if page.pk else page
        return is_covered(draft)

    def can_publish(self):
        return super().can_publish() and self._consent_covers_latest

    # Unscheduling and view restrictions only take a story further from the public: leave them
    # to Wagtail's own publish permission.
    def can_unschedule(self):
        return super().can_publish()

    def can_set_view_restrictions(self):
        return super().can_publish()


class ConsentGatedPageMixin(ConsentGatedPage):
    """Mixed into ``PatientStoryPage``: no live save without a covering consent."""

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if getattr(self, "_consent_forced_draft", False) and not self.live:
            # Wagtail's copy action first saves a copy "kept live" and then stamps its publishing
            # dates; the copy was made a draft below, so it must not get a live revision either.
            self.live_revision = None
            self.first_published_at = None
            self.last_published_at = None
        unpublished = False
        if needs_check(self, update_fields):
            if consent_story_id(self) is None:
                # A new page (a copy kept live, an alias, a page created in code with the default
                # live=True) can have no consent yet: it starts as a draft.
                logger.warning("A new patient story was saved as a draft: no consent covers it yet.")
                self._force_draft(kwargs)
            else:
                _consent, error = check_consent(self)
                if error is not None and self.alias_of_id is not None:
                    # An alias the original's consent does not cover (at an address the signer did
                    # not see, or after a withdrawal): it is a draft, and publishing the original
                    # goes on (Wagtail updates the aliases inside the original's publication).
                    logger.warning("An alias of a patient story was saved as a draft: no consent covers it.")
                    self._force_draft(kwargs)
                    unpublished = self.pk is not None
                elif error is not None:
                    if update_fields is not None and "alias_of_id" in update_fields and self.alias_of_id is None:
                        # "Convert alias": the page no longer shows its original under the
                        # original's consent, and has none of its own. It stays as a draft.
                        logger.warning("Alias %s converted into a draft: no consent of its own covers it.", self.pk)
                        self._force_draft(kwargs)
                        unpublished = True
                    else:
                        raise error
        result = super().save(*args, **kwargs)
        if unpublished:
            from wagtail.signals import page_unpublished

            log_blocked(self, reason="alias")
            page_unpublished.send(sender=type(self), instance=self)
        return result

    def _force_draft(self, save_kwargs):
        self.live = False
        self.has_unpublished_changes = True
        self.live_revision = None
        self.first_published_at = None
        self.last_published_at = None
        self._consent_forced_draft = True
        update_fields = save_kwargs.get("update_fields")
        if update_fields is not None:
            save_kwargs["update_fields"] = sorted(
                set(update_fields)
                | {"live", "has_unpublished_changes", "live_revision", "first_published_at", "last_published_at"}
            )

    def publish(
        self, revision, user=None, changed=True, log_action=True, previous_revision=None, skip_permission_checks=False
    ):
        """Refuse a publication that no consent covers before Wagtail changes anything.

        ``publish_scheduled`` calls this with no user and no error handling; there the publication
        is cancelled (the revision loses its go-live time) and logged, so the command goes on
        with the other pages. Every other caller gets ``ConsentRequired``.
        """
        from django.utils import timezone

        page = revision.as_object()
        going_live_now = not (page.go_live_at and page.go_live_at > timezone.now())
        if going_live_now:
            _consent, error = check_consent(page)
            if error is not None:
                log_blocked(self, user=user, revision=revision, reason=error.reason)
                if log_action == "wagtail.publish.scheduled":
                    revision.approved_go_live_at = None
                    revision.save(update_fields=["approved_go_live_at"])
                    logger.warning("Scheduled publication of page %s cancelled: no covering consent.", self.pk)
                    return None
                raise error
        return super().publish(
            revision,
            user=user,
            changed=changed,
            log_action=log_action,
            previous_revision=previous_revision,
            skip_permission_checks=skip_permission_checks,
        )

    def permissions_for_user(self, user):
        return ConsentPagePermissionTester(user, self)

    @property
    def has_workflow(self):
        return self.get_workflow() is not None

    def get_workflow(self):
        """Patient stories go through the consent workflow, whatever their ancestors use."""
        from django.conf import settings

        if not getattr(settings, "WAGTAIL_WORKFLOW_ENABLED", True):
            return None
        return get_patient_story_workflow()


def gate_save_through_any_class(sender, instance, raw=False, update_fields=None, **kwargs):
    """``pre_save`` of every model: the hard rule for a patient story saved through a parent class.

    ``Page.objects.get(pk=…).save()`` or ``StoryPage.objects.get(pk=…).save()`` with ``live=True``
    skips ``ConsentGatedPageMixin.save``, because the instance is not of the specific class. Here
    the content that will be live after this save (the specific page as stored, with the fields of
    the instance in hand laid over it) is checked, and the save is refused when no consent covers
    it. Costs nothing for other models and for pages that are not patient stories: the specific
    class comes from the cached content type.
    """
    from wagtail.models import Page

    if raw or isinstance(instance, ConsentGatedPageMixin) or not isinstance(instance, Page):
        return
    if getattr(instance, "_consent_gate_checked", False):
        return  # checked by the parent class's save(), with every field it writes
    if instance.pk is None or not needs_check(instance, update_fields):
        return
    if not is_consent_gated(instance):
        return
    page = instance.specific_class.objects.get(pk=instance.pk)
    for field in type(instance)._meta.concrete_fields:
        if update_fields is None or field.name in update_fields or field.attname in update_fields:
            setattr(page, field.attname, getattr(instance, field.attname))
    # In-memory many-to-many values of the parent class (a story's themes) go out with this save.
    from modelcluster.fields import ParentalManyToManyField

    for field in type(instance)._meta.many_to_many:
        if not isinstance(field, ParentalManyToManyField):
            continue
        if update_fields is None or field.name in update_fields:
            setattr(page, field.name, list(getattr(instance, field.name).all()))
    if consent_story_id(page) is None:
        error = ConsentRequired(reason="missing")
    else:
        _consent, error = check_consent(page)
    if error is not None:
        logger.warning("Refused a live save of patient story %s through %s.", instance.pk, type(instance).__name__)
        raise error


def check_save_through_parent_class(instance, update_fields):
    """Called by a parent class's ``save()`` (``StoryPage``) before modelcluster splits ``update_fields``.

    ``save(update_fields=["themes"])`` writes only the many-to-many rows: modelcluster passes an
    empty ``update_fields`` to Django, which then skips ``pre_save``. So the check runs here, with
    the fields as the caller gave them; ``pre_save`` then knows it was done.
    """
    if update_fields is None or isinstance(instance, ConsentGatedPageMixin):
        return False
    gate_save_through_any_class(type(instance), instance, update_fields=update_fields)
    return True
