from django.urls import path

from . import views

app_name = "consent"
urlpatterns = [
    path("withdraw/<str:token>/", views.withdraw_view, name="withdraw"),
]
