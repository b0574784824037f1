"""Who may call what. Which *rows* a caller sees is decided by accounts.access, in the base view."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.access import Role, user_role


class IsAdminRole(BasePermission):
    """Admins only (staff or superuser, as for the admin pages), with the model permissions a view names.

    ``view.admin_perms`` maps an HTTP method to the Django permissions it needs,
    the same ones the admin pages ask for.
    """

    message = "Only an administrator may do this."

    def has_permission(self, request, view) -> bool:
        if user_role(request.user) is not Role.ADMIN:
            return False
        needed = getattr(view, "admin_perms", {}).get(request.method, ())
        return request.user.has_perms(needed)


class ReadOrAdminWrite(BasePermission):
    """Anyone signed in reads (within their scope); writing needs ``IsAdminRole``."""

    message = "Only an administrator may change this; you may read it."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return IsAdminRole().has_permission(request, view)
