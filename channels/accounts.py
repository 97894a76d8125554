"""Checking channel accounts and tracking when their tokens stop working.

``check_account`` asks the network (``Adapter.check``) and stores what it said. ``refresh_statuses``
needs no network: it derives EXPIRING/EXPIRED from ``token_expires_at``. The periodic job
``channels-accounts`` runs both (the network check at most once a day per account) and emails the
channel administrators once when a token starts expiring and once when it has expired
(``core.mail``, the template ``channels/mail/token_expiry``).

A brief network error never marks an account disconnected: only a refusal (``AuthError``) does.
A refusal of a token whose expiry date has passed (or that the network calls expired) is EXPIRED,
not ERROR, so the "token expired" email goes out once whichever the check or the date noticed first.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import mail
from core.schedule import periodic

from .adapters.base import AuthError, ChannelError, TokenExpired
from .crypto import CredentialsUnreadable
from .groups import CHANNEL_ADMINS_GROUP

logger = logging.getLogger(__name__)


# How often the periodic job asks each network whether an account still works.
CHECK_INTERVAL = datetime.timedelta(hours=24)


def warning_days():
    """Days before a token's expiry from which editors are warned (VERTEL_CHANNEL_TOKEN_WARNING_DAYS)."""
    return int(settings.VERTEL.get("CHANNEL_TOKEN_WARNING_DAYS", 14))


def expiry_status(expires_at, now=None):
    """OK, EXPIRING or EXPIRED for a token expiring at ``expires_at`` (None: it does not expire)."""
    from .models import ChannelAccount

    now = now or timezone.now()
    if expires_at is None:
        return ChannelAccount.Status.OK
    if expires_at <= now:
        return ChannelAccount.Status.EXPIRED
    if expires_at <= now + datetime.timedelta(days=warning_days()):
        return ChannelAccount.Status.EXPIRING
    return ChannelAccount.Status.OK


def check_account(account, now=None):
    """Ask the network whether ``account`` works; store and return ``(ok, message)``.

    The message is safe to show: adapters' error messages carry no secrets, and nothing of the
    credentials is added here.
    """
    from .models import ChannelAccount

    now = now or timezone.now()
    account.last_checked_at = now
    try:
        result = account.adapter().check()
    except AuthError as error:
        if isinstance(error, TokenExpired) and error.expires_at is not None:
            account.token_expires_at = error.expires_at
        account.status = ChannelAccount.Status.ERROR
        account.status_message = _("The network refused the credentials: reconnect the account. (%(detail)s)") % {
            "detail": error.message
        }
        if isinstance(error, TokenExpired) or _expired(account, now):
            account.status = ChannelAccount.Status.EXPIRED
        ok = False
    except CredentialsUnreadable:
        account.status = ChannelAccount.Status.ERROR
        account.status_message = _("The stored credentials cannot be read with the current key: enter them again.")
        ok = False
    except ChannelError as error:
        # Temporary or unclear trouble: say so, but keep the account's status.
        account.status_message = _("The network could not be reached: %(detail)s") % {"detail": error.message}
        ok = False
    except LookupError:
        account.status = ChannelAccount.Status.ERROR
        account.status_message = _("This kind of account is no longer available.")
        ok = False
    else:
        if result.ok:
            if result.expires_at is not None:
                account.token_expires_at = result.expires_at
            account.display_name = (result.display_name or account.display_name)[:200]
            account.profile_url = result.profile_url or account.profile_url
            account.status = expiry_status(account.token_expires_at, now)
            account.status_message = (result.message or _("Connected."))[:500]
            ok = True
        else:
            if result.expires_at is not None:
                account.token_expires_at = result.expires_at
            account.status = ChannelAccount.Status.EXPIRED if _expired(account, now) else ChannelAccount.Status.ERROR
            account.status_message = (result.message or _("The network refused: reconnect the account."))[:500]
            ok = False
    account.status_message = account.status_message[:500]
    account.save(
        update_fields=[
            "status",
            "status_message",
            "last_checked_at",
            "token_expires_at",
            "display_name",
            "profile_url",
            "updated_at",
        ]
    )
    return ok, account.status_message


def _expired(account, now):
    return account.token_expires_at is not None and account.token_expires_at <= now


def refresh_statuses(now=None):
    """Derive EXPIRING/EXPIRED from the expiry date of every account; return the changed ones.

    Accounts the network refused (ERROR) or never checked keep their status until a check.
    """
    from .models import ChannelAccount

    now = now or timezone.now()
    changed = []
    tracked = ChannelAccount.objects.filter(
        status__in=[ChannelAccount.Status.OK, ChannelAccount.Status.EXPIRING, ChannelAccount.Status.EXPIRED]
    )
    for account in tracked:
        status = expiry_status(account.token_expires_at, now)
        if status != account.status:
            account.status = status
            account.save(update_fields=["status", "updated_at"])
            changed.append(account)
    return changed


def accounts_needing_attention():
    """Active accounts whose token expires soon or has expired, or that the network refused."""
    from .models import ChannelAccount

    attention = [ChannelAccount.Status.EXPIRING, ChannelAccount.Status.EXPIRED, ChannelAccount.Status.ERROR]
    return ChannelAccount.objects.filter(active=True, status__in=attention).order_by("token_expires_at", "name")


def channel_administrators():
    """Users who look after the accounts: the group's members, or the superusers when it is empty."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    admins = users.filter(groups__name=CHANNEL_ADMINS_GROUP).distinct()
    if not admins.exists():
        admins = users.filter(is_superuser=True)
    return admins


def notify_administrators(accounts):
    """Email the channel administrators about accounts that started expiring or expired."""
    recipients = sorted({user.email for user in channel_administrators()})
    if not accounts or not recipients:
        return 0
    base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    context = {
        "accounts": accounts,
        "admin_url": base_url + reverse("channel_accounts:index"),
        "warning_days": warning_days(),
    }
    mail.send("channels/mail/token_expiry", context, recipients, language=translation.get_language())
    return len(recipients)


@periodic("channels-accounts")
def check_accounts(now=None):
    """Daily: ask each network whether its account still works, track token expiry, warn once.

    Run every minute by ``run_schedule``; an account is checked over the network at most once per
    ``CHECK_INTERVAL``. Administrators get one email when an account turns EXPIRING and one when it
    turns EXPIRED (the status itself remembers that the email went out). A refused token past its
    expiry date counts as EXPIRED (see ``check_account``), so that email is never skipped.
    """
    from .models import ChannelAccount

    now = now or timezone.now()
    before = dict(ChannelAccount.objects.values_list("pk", "status"))
    due = ChannelAccount.objects.filter(active=True).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - CHECK_INTERVAL)
    )
    for account in due:
        try:
            check_account(account, now)
        except Exception:  # noqa: BLE001 - one broken adapter must not stop the other checks
            logger.exception("Checking channel account %s failed.", account.pk)
    refresh_statuses(now)
    warn = [ChannelAccount.Status.EXPIRING, ChannelAccount.Status.EXPIRED]
    turned = [
        account
        for account in ChannelAccount.objects.filter(active=True, status__in=warn)
        if before.get(account.pk) != account.status
    ]
    notify_administrators(turned)
    return turned
