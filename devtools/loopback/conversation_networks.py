"""Loopback networks for ``manage.py conversations_benchmark``: the five reading fakes, seeded.

The fakes are the inbox tests' own (``tests.conversations.fakes``: the channel fakes with the read
endpoints added), started in the benchmark's process and reached by its child processes over
HTTP through the real readers. They are imported when the networks start, so this dev-only module
needs the repository's ``tests`` package, as the benchmark itself does.

:func:`start` seeds ``items`` incoming items over the networks (a fixed share each): per network
some notifications (at most ``NOTIFICATIONS_PER_ACCOUNT``, what one poll pages through), the rest as
replies and comments under our posts (at most ``REPLIES_PER_POST`` each, found through the threads
and comment lists of the posts). It returns the accounts and posts the child processes record.
"""

import math
from dataclasses import dataclass, field

SHARES = {"mastodon": 0.3, "bluesky": 0.3, "facebook": 0.15, "instagram": 0.1, "linkedin": 0.15}
NOTIFICATIONS_PER_ACCOUNT = 1500
REPLIES_PER_POST = 300
# Texts without health words, so the guard's placeholder flags nothing and every item is plain work.
WORDS = ["Mooi", "verhaal,", "dank", "voor", "het", "delen", "met", "ons", "allemaal", "vandaag"]


@dataclass
class Seeded:
    accounts: list = field(default_factory=list)  # {"kind", "config", "credentials", "posts": [...], ...}
    items: int = 0
    servers: list = field(default_factory=list)

    def stop(self):
        for server in self.servers:
            server.stop()


def text(number):
    return " ".join(WORDS[(number + i) % len(WORDS)] for i in range(6)) + f" ({number})"


def split(count):
    notifications = min(count // 2, NOTIFICATIONS_PER_ACCOUNT)
    replies = count - notifications
    posts = max(1, math.ceil(replies / REPLIES_PER_POST))
    return notifications, replies, posts


def _mastodon(fake, count):
    notifications, replies, posts = split(count)
    ours = [fake.add_own_status(f"Ons verhaal {n}") for n in range(posts)]
    for number in range(notifications):
        fake.add_status(text(number), author=f"p{number % 50}")
    for number in range(replies):
        fake.add_status(text(number), author=f"r{number % 50}", in_reply_to=ours[number % posts], mention=False)
    fake.rate_remaining = 10**9  # the benchmark measures the inbox, not the instance's limit
    config = {"instance_url": fake.url}
    return config, {"access_token": fake.token}, ours, {"notifications": "0"}


def _bluesky(fake, count):
    notifications, replies, posts = split(count)
    ours = []
    for number in range(posts):
        rkey = f"3lbench{number:06d}"
        uri = f"at://{fake.did}/app.bsky.feed.post/{rkey}"
        fake.posts[rkey] = {
            "uri": uri,
            "cid": f"bafybench{number}",
            "value": {
                "$type": "app.bsky.feed.post",
                "text": f"Ons verhaal {number}",
                "createdAt": "2026-12-01T08:00:00.000Z",
            },
        }
        ours.append(uri)
    for number in range(notifications):
        fake.add_post(text(number), author=f"p{number % 50}", mention=True)
    for number in range(replies):
        fake.add_post(text(number), author=f"r{number % 50}", reply_to=ours[number % posts], notify=False)
    config = {"handle": fake.handle, "pds_url": fake.url}
    return config, {"app_password": fake.app_password}, ours, {"notifications": ""}


def _facebook(fake, count):
    _notifications, _replies, posts = split(count)
    ours = [f"{fake.page_id}_{900000000 + n}" for n in range(posts)]
    for post_id in ours:
        fake.posts[post_id] = {"kind": "feed", "message": "Ons verhaal"}
    for number in range(count):
        fake.add_comment(ours[number % posts], text(number), author=(str(6000 + number % 50), f"Lezer {number % 50}"))
    config = {"page_id": fake.page_id, "graph_url": fake.url}
    return config, {"page_access_token": fake.token}, ours, {}


def _instagram(fake, count):
    _notifications, _replies, posts = split(count)
    ours = [str(17950000000000000 + n) for n in range(posts)]
    for media_id in ours:
        fake.posts[media_id] = {
            "caption": "Ons verhaal",
            "permalink": f"https://www.instagram.com/p/C{media_id[-8:]}/",
        }
    for number in range(count):
        fake.add_comment(ours[number % posts], text(number), author=(str(7000 + number % 50), f"lezer{number % 50}"))
    config = {"ig_user_id": fake.ig_user_id, "graph_url": fake.url}
    return config, {"access_token": fake.token}, ours, {}


def _linkedin(fake, count):
    from tests.channels.fakes.linkedin import active_version

    notifications, replies, posts = split(count)
    ours = [f"urn:li:share:{7100000000000000000 + n}" for n in range(posts)]
    for urn in ours:
        fake.posts[urn] = {"commentary": "Ons verhaal"}
    for number in range(notifications):
        fake.add_mention(text(number), actor=f"urn:li:person:p{number % 50}")
    for number in range(replies):
        fake.add_comment(ours[number % posts], text(number), actor=f"urn:li:person:r{number % 50}", notify=False)
    config = {"organization_id": fake.organization_id, "api_url": fake.url, "api_version": active_version()}
    return config, {"access_token": fake.token}, ours, {}


SEEDERS = {
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "facebook": _facebook,
    "instagram": _instagram,
    "linkedin": _linkedin,
}


def start(items):
    """Start the five fakes with ``items`` incoming items between them; a :class:`Seeded`."""
    from tests.conversations.fakes import bluesky, facebook, instagram, linkedin, mastodon

    classes = {
        "mastodon": mastodon.FakeMastodon,
        "bluesky": bluesky.FakeBluesky,
        "facebook": facebook.FakeFacebook,
        "instagram": instagram.FakeInstagram,
        "linkedin": linkedin.FakeLinkedIn,
    }
    seeded = Seeded()
    left = items
    for position, (kind, share) in enumerate(SHARES.items()):
        count = left if position == len(SHARES) - 1 else round(items * share)
        left -= count
        fake = classes[kind]().start()
        seeded.servers.append(fake)
        config, credentials, posts, cursors = SEEDERS[kind](fake, count)
        seeded.accounts.append(
            {"kind": kind, "config": config, "credentials": credentials, "posts": posts, "cursors": cursors}
        )
        seeded.items += count
    return seeded
