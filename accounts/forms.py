"""The login forms of the site and of the admin: the username's length is checked before anyone is looked up."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class UsernameLengthMixin:
    """Refuse a username longer than the user model allows, as an error on the field.

    Django's ``AuthenticationForm`` only sets the input's ``maxlength`` attribute, so a crafted POST
    reaches ``authenticate()`` with a username of any length, and django-axes then fails to record
    the failed login (its username column holds 255 characters): a server error instead of the form.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(UsernameLengthMixin, AuthenticationForm):
    pass


class AdminLoginForm(UsernameLengthMixin, AdminAuthenticationForm):
    pass
