from django.urls import path

from customers import views

app_name = "customers"

# A looked-up booking's pages are named by an opaque id good only in the session that looked it up
# (customers/session.py); an account's bookings by their id, answered only for their own customer.
urlpatterns = [
    path("", views.LookupView.as_view(), name="lookup"),
    path("b/<str:token>/", views.BookingView.as_view(), name="booking"),
    path("b/<str:token>/receipt.pdf", views.ReceiptView.as_view(), name="receipt"),
    path("account/sign-up/", views.SignUpView.as_view(), name="sign_up"),
    path("account/confirm/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("account/log-in/", views.CustomerLoginView.as_view(), name="login"),
    path("account/log-out/", views.CustomerLogoutView.as_view(), name="logout"),
    path("account/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("account/password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "account/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("account/password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("account/bookings/", views.MyBookingsView.as_view(), name="my_bookings"),
    path("account/bookings/<int:booking_id>/", views.AccountBookingView.as_view(), name="account_booking"),
    path(
        "account/bookings/<int:booking_id>/receipt.pdf",
        views.AccountReceiptView.as_view(),
        name="account_receipt",
    ),
    path(
        "account/bookings/<int:booking_id>/refund/",
        views.RefundBookingView.as_view(),
        name="refund_booking",
    ),
    path(
        "account/bookings/<int:booking_id>/refund/passenger-<int:position>/",
        views.RefundPassengerView.as_view(),
        name="refund_passenger",
    ),
    path("account/bookings/<int:booking_id>/cancel/", views.CancelHoldView.as_view(), name="cancel_hold"),
]
