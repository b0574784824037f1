"""The Content-Security-Policy exception of the ReDoc page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

# ReDoc's bundle writes its styles into <style> elements at run time; no hash can name them.
REDOC_PATH = "/api/v1/docs/redoc"


class ApiDocsStylePolicyMiddleware:
    """Let the ReDoc page (and only it) apply inline styles; scripts stay the site's own everywhere."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path == REDOC_PATH:
            response._csp_replace = {"style-src": ["'self'", "'unsafe-inline'"]}  # read by django-csp
        return response
