#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from backoffice.checkout import ensure_secret_key

    ensure_secret_key()
    try:
        settings.INSTALLED_APPS  # noqa: B018 - a settings mistake stops here, in its own words
    except ImproperlyConfigured as error:
        # Django's command runner would swallow it and fail later with "Models aren't loaded yet".
        sys.exit(f"Settings: {error}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
