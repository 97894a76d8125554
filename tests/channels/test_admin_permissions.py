"""Every admin view of the channels app refuses whoever lacks its permission, and changes nothing.

A refusal is a 403, or a redirect to the login page (not logged in) or to the dashboard (Wagtail's
"no permission" answer); a GET on a view that only acts on POST may also answer 405. Never a
page, never a 500.
"""

import pytest
from django.urls import get_resolver, reverse

from channels.models import ChannelAccount, Dispatch, DispatchEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]

# (URL name, which object its argument is). Kept by hand so a new view must be added here:
# ``test_every_channel_admin_view_is_listed`` fails until it is.
VIEWS = [
    ("channel_accounts:index", None),
    ("channel_accounts:index_results", None),
    ("channel_accounts:add", None),
    ("channel_accounts:edit", "account"),
    ("channel_accounts:delete", "account"),
    ("channel_accounts:check", "account"),
    ("channel_accounts:history", "account"),
    ("channel_accounts:history_results", "account"),
    ("channel_accounts:usage", "account"),
    ("channel_dispatches:index", None),
    ("channel_dispatches:index_results", None),
    ("channel_dispatches:inspect", "dispatch"),
    ("channels_admin:calendar", None),
    ("channels_admin:failed", None),
    ("channels_admin:failed_results", None),
    ("channels_admin:retry", "dispatch"),
    ("channels_admin:mark_removed", "dispatch"),
    ("channels_admin:mark_sent", "dispatch"),
    ("channels_admin:remove_everywhere", "page"),
    ("channels_reach_report", None),
    ("channels_reach_report_results", None),
]
NAMESPACES = ("channel_accounts", "channel_dispatches", "channels_admin")
POST_BODY = {
    "remote_url": "https://loop.example/@zorg/9",
    "name": "Taken over",
    "active": "",
    "next": "/admin/",
}


def test_every_channel_admin_view_is_listed():
    resolver = get_resolver()
    names = {
        f"{namespace}:{name}"
        for namespace in NAMESPACES
        for name in resolver.namespace_dict[namespace][1].reverse_dict
        if isinstance(name, str)
    }
    names |= {name for name in resolver.reverse_dict if isinstance(name, str) and name.startswith("channels_")}
    assert names == {name for name, _arg in VIEWS}


@pytest.fixture
def objects(account, make_org_story, make_dispatch):
    story = make_org_story(title="Nieuwe MRI-scanner")
    make_dispatch(story)  # a sent post, so "Remove everywhere" has something to remove
    failed = make_dispatch(story, state=Dispatch.State.FAILED, retraction=Dispatch.Retraction.MANUAL)
    return {"account": account, "dispatch": failed, "page": story}


def _url(name, arg, objects):
    return reverse(name, args=[objects[arg].pk] if arg else [])


def _refused(response, *, anonymous, method):
    if response.status_code == 403:
        return True
    if response.status_code == 405:
        return method == "get"
    if response.status_code == 302:
        target = response["Location"]
        return (
            target.startswith(reverse("wagtailadmin_login")) if anonymous else target == reverse("wagtailadmin_home")
        )
    return False


@pytest.mark.parametrize("who", ["anonymous", "nobody"])
@pytest.mark.parametrize(("name", "arg"), VIEWS, ids=[name for name, _arg in VIEWS])
def test_without_permission_every_view_is_refused(who, name, arg, objects, request, client, loopnet):
    if who == "nobody":
        client.force_login(request.getfixturevalue("nobody"))
    url = _url(name, arg, objects)
    before = {
        "accounts": list(ChannelAccount.objects.values_list("pk", "name", "active", "status")),
        "dispatches": list(Dispatch.objects.values_list("pk", "state", "retraction", "remote_url")),
        "events": DispatchEvent.objects.count(),
    }
    for method in ("get", "post"):
        response = getattr(client, method)(url, POST_BODY if method == "post" else {})
        assert _refused(response, anonymous=who == "anonymous", method=method), (
            f"{method.upper()} {url} answered {response.status_code} {response.get('Location', '')}"
        )
    assert list(ChannelAccount.objects.values_list("pk", "name", "active", "status")) == before["accounts"]
    assert list(Dispatch.objects.values_list("pk", "state", "retraction", "remote_url")) == before["dispatches"]
    assert DispatchEvent.objects.count() == before["events"]
    assert loopnet.requests == []  # "Check connection" never asked the network
