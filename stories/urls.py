from django.urls import path

from . import feeds

app_name = "stories"
urlpatterns = [
    path("feeds/rss/", feeds.StoriesFeed(), name="feed_rss"),
    path("feeds/atom/", feeds.StoriesAtomFeed(), name="feed_atom"),
    path("feeds/json/", feeds.json_feed, name="feed_json"),
]
