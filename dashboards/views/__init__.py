"""The pages, one module per kind of page; dashboards.urls routes them."""
