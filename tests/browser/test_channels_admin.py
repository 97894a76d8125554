"""The channel admin in a real browser: add an account, check it, read the calendar, mark a post as sent."""

import re

import pytest

from channels.models import ChannelAccount, Dispatch
from tests.channels.admin_fixtures import GOOD_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_and_check_an_account_then_read_the_calendar(page, live_server, admin_user, admin_login, loopnet):
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/channels/accounts/new/")
    page.get_by_role("link", name="Loopnet").click()
    page.fill("input[name=name]", "Loop (@zorg)")
    page.fill("input[name=config__api_base]", loopnet.url)
    page.fill("input[name=secret__access_token]", GOOD_TOKEN)
    page.shots("account-form")
    page.locator("#w-editor-form button[type=submit]").first.click()
    page.wait_for_url("**/channels/accounts/edit/**")
    assert page.input_value("input[name=secret__access_token]") == ""
    assert GOOD_TOKEN not in page.content()
    page.get_by_role("button", name=re.compile("Check connection|Verbinding controleren")).click()
    page.wait_for_url("**/channels/accounts/edit/**")
    assert "@zorg@loop.example" in page.content()
    page.shots("checked")
    account = ChannelAccount.objects.get()
    assert account.status == ChannelAccount.Status.OK

    Dispatch.objects.create(
        page=None,
        page_title="Nieuwe MRI-scanner",
        account=account,
        content_hash="a" * 64,
        state=Dispatch.State.FAILED,
        last_error="HTTP 503",
    )
    page.goto(f"{live_server.url}/admin/channels/calendar/")
    table = page.locator("table.listing")
    assert "Nieuwe MRI-scanner" in table.inner_text()
    assert table.locator("th[scope=row]").count() >= 28
    page.shots("calendar")
    page.goto(f"{live_server.url}/admin/channels/failed/")
    assert "HTTP 503" in page.content()
    page.shots("failed-report")

    # The post turned out to be on the network: paste its address and mark it as sent.
    dispatch = Dispatch.objects.get()
    form = page.locator(f"form[action$='/dispatch/{dispatch.pk}/mark-sent/']")
    form.locator("input[name=remote_url]").fill("https://loop.example/@zorg/42")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.shots("marked-sent")
    dispatch.refresh_from_db()
    assert dispatch.state == Dispatch.State.SENT
    assert dispatch.remote_url == "https://loop.example/@zorg/42"
    assert "HTTP 503" not in page.locator("main").inner_text()  # off the report
