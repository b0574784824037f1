"""Admin autocomplete widgets that show a refused form again instead of failing on its submitted values.

Django's autocomplete widget looks the submitted ids up to label the selected options. When a
crafted POST sends text for an integer id, the form has already refused it ("Select a valid
choice"), but showing the form again runs that lookup with the text and the database refuses it:
a 500 instead of the form and its error. Values the related key cannot hold name no row, so they
are left out of the lookup; the field's error still says what was wrong.
"""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class _KnownKeysOnly:
    field: object  # the model's ForeignKey or ManyToManyField (set by Django's AutocompleteMixin)

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key_name = getattr(remote, "field_name", None) or remote.model._meta.pk.attname
        key = remote.model._meta.get_field(key_name)
        return super().optgroups(name, [v for v in value if _key_holds(key, v)], attr)


def _key_holds(key, value) -> bool:
    try:
        key.to_python(value)
    except ValidationError:
        return False
    return True


class SafeAutocompleteSelect(_KnownKeysOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_KnownKeysOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteAdmin:
    """Mix into a ModelAdmin or inline with ``autocomplete_fields``: its autocomplete widgets become the safe ones."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
