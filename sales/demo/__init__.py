"""The demo data set: a deterministic, realistic company for trying the dashboard.

``plan`` holds its fixed shape; ``generate`` (reps, targets, expenses) and
``facts`` (each block's deals, customers, activities, surveys) draw the
``rows`` in pure Python; ``services.demo_data_seed`` writes them through
``writers`` and ``selectors`` reads them back.
"""
