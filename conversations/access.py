"""Who sees which account's conversations.

An account's inbox (:class:`~conversations.models.AccountInbox`) lists the groups whose members may
read it; a new account's inbox starts with the *Conversations* and *Conversation leads* groups.
Superusers read every account. Everyone else also needs ``conversations.view_conversation``.
"""

from channels.models import ChannelAccount


def visible_accounts(user):
    """The accounts whose conversations ``user`` may read (a queryset, for ``account__in``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ChannelAccount.objects.none()
    if user.is_superuser:
        return ChannelAccount.objects.all()
    if not user.has_perm("conversations.view_conversation"):
        return ChannelAccount.objects.none()
    return ChannelAccount.objects.filter(inbox__groups__in=user.groups.all()).distinct()


def can_read(user, account):
    return visible_accounts(user).filter(pk=account.pk).exists()


def ensure_inbox(account):
    """The account's inbox settings, created with the default groups the first time."""
    from django.contrib.auth.models import Group

    from .groups import CONVERSATIONS_GROUP, LEADS_GROUP
    from .models import AccountInbox

    inbox, created = AccountInbox.objects.get_or_create(account=account)
    if created:
        inbox.groups.add(*Group.objects.filter(name__in=[CONVERSATIONS_GROUP, LEADS_GROUP]))
    return inbox
