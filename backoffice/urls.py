from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """Browsers ask every site for /favicon.ico, PDFs and error pages included: point them at the icon."""

    permanent = False  # the icon's static URL carries its content hash in production

    def get_redirect_url(self, *args, **kwargs):
        return static("backoffice/favicon.svg")


# The database's trouble met in a middleware (PostgreSQL restarting) answers "try again", not a server error.
handler500 = "backoffice.db_faults.server_error"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", FaviconView.as_view()),
    path(settings.ADMIN_URL, admin.site.urls),
    # The customer site (customers/): passengers manage their bookings, outside the admin.
    path("my-booking/", include("customers.urls")),
]
