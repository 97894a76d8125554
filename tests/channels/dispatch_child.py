"""A child process of the crash tests: sets up a story, runs the real worker loop, sweeps, reports.

Run as ``python tests/channels/dispatch_child.py <command> ...`` with ``DATABASE_URL`` pointing at a
file database shared with the other children, and ``DJANGO_SETTINGS_MODULE=website.settings.dev``
(the database task queue, as in production). Prints one JSON line.

Commands: ``setup <kind> <config-json> <credentials-json>`` (one story, one channel),
``setup-many <accounts-json>`` (one story planned on several channels: a list of
``[kind, config, credentials]``), ``worker`` (``db_worker --batch``), ``sweep``, ``state``.
"""

import json
import os
import sys

import django


def main():
    django.setup()
    from django.conf import settings

    # The crash tests cannot wait five minutes for a SENDING row to go stale.
    settings.VERTEL["DISPATCH_STALE_SENDING_SECONDS"] = float(os.environ.get("DISPATCH_STALE_SECONDS", "300"))
    settings.VERTEL["DISPATCH_LOST_TASK_SECONDS"] = float(os.environ.get("DISPATCH_STALE_SECONDS", "300"))
    from devtools.loopback.testnet import register_testnet

    register_testnet()
    command, args = sys.argv[1], sys.argv[2:]
    print(json.dumps(COMMANDS[command](*args)), flush=True)


def setup(kind, config, credentials):
    [dispatch] = setup_many(json.dumps([[kind, json.loads(config), json.loads(credentials)]]))["dispatches"]
    return dispatch


def setup_many(accounts):
    """One published story planned on every account in ``accounts``; its dispatches are queued in that order."""
    from django.db import transaction
    from wagtail.models import Locale, Page, Site

    from channels.models import ChannelAccount, Dispatch, PostPlan
    from stories.models import OrganisationStoryPage, StoryIndexPage
    from website.models import HomePage

    locale = Locale.objects.get_or_create(language_code="nl")[0]
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="Welkom", slug="home-kill", locale=locale))
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "root_page": home})
    index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=locale))
    story = index.add_child(
        instance=OrganisationStoryPage(
            title="Open dag", slug="open-dag", summary="Kom kijken op onze open dag.", live=False, locale=locale
        )
    )
    for kind, config, credentials in json.loads(accounts):
        account = ChannelAccount(name=kind, kind=kind, config=config)
        account.set_credentials(credentials)
        account.save()
        PostPlan.objects.create(page=story, account=account)
    with transaction.atomic():
        story.save_revision().publish()
    dispatches = Dispatch.objects.filter(page=story).select_related("account").order_by("pk")
    rows = [{"dispatch": row.pk, "state": row.state, "kind": row.account.kind} for row in dispatches]
    return {"dispatches": rows}


def worker():
    from django.core.management import call_command

    call_command("db_worker", batch=True, interval=0.05, startup_delay=False, reload=False, verbosity=0)
    return {"worker": "done"}


def sweep():
    from channels.periodic import dispatch_sweep

    return dispatch_sweep()


def state():
    from channels.models import Dispatch

    return list(
        Dispatch.objects.order_by("pk").values(
            "pk", "state", "remote_id", "remote_url", "attempts", "last_error", "account__kind"
        )
    )


COMMANDS = {"setup": setup, "setup-many": setup_many, "worker": worker, "sweep": sweep, "state": state}

if __name__ == "__main__":
    main()
