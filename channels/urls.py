"""Public, uncached endpoints of the channels app (outside the language prefix)."""

from django.urls import path

from .reach_views import reach_beacon

app_name = "channels"
urlpatterns = [
    path("reach/", reach_beacon, name="reach_beacon"),
]
