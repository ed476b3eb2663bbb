import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# Django imports the URL configuration, and with it every view module (the TAXII server,
# the API, STIX), on the first request: about a second that one member's request paid in
# every new worker. Imported here instead, before the worker takes requests (and once, in
# the master, when the server preloads the application).
get_resolver().url_patterns  # noqa: B018
