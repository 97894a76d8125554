from django.urls import path

from . import views

app_name = "consent"
urlpatterns = [
    path("sign/<str:token>/", views.sign_view, name="sign"),
    path("withdraw/<str:token>/", views.withdraw_view, name="withdraw"),
]
