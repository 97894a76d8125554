from django.urls import path

from . import views

app_name = "consent"
urlpatterns = [
    path("sign/<str:token>/", views.sign_view, name="sign"),
    path("withdraw-link/", views.lost_withdrawal_link_view, name="withdraw_lost"),
    path("withdraw/<str:token>/", views.withdraw_view, name="withdraw"),
]
