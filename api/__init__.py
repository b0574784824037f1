"""The REST API (Django REST framework): one module per resource, the schema and its docs."""
