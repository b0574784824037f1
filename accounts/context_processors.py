from accounts.access import user_role


def role(request):
    """Expose the user's role to every template (for the navigation)."""
    user = getattr(request, "user", None)
    return {"user_role": user_role(user) if user is not None else None}
