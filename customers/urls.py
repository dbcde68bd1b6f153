from django.urls import path

from customers import views

app_name = "customers"

# The booking's pages are named by an opaque id good only in the session that looked it up (customers/session.py).
urlpatterns = [
    path("", views.LookupView.as_view(), name="lookup"),
    path("b/<str:token>/", views.BookingView.as_view(), name="booking"),
    path("b/<str:token>/receipt.pdf", views.ReceiptView.as_view(), name="receipt"),
]
