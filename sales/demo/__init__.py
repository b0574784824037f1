"""The demo data set: a deterministic, realistic company for trying the dashboard.

``plan`` holds its fixed shape, ``generate`` draws the rows (pure Python),
``services.demo_data_seed`` writes them and ``selectors`` reads them back.
"""
