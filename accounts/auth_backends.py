"""Authentication backend that throttles logins made through a request (django-axes)."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuse logins from a locked-out username and address; let request-less calls through.

    Logins over HTTP (the site's form, the admin's) always carry the request, so they are
    throttled. ``authenticate()`` without a request (the shell, management commands, the test
    client) has no address to throttle by: it is passed on to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):  # noqa: D102
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
