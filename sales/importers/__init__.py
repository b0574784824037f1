"""CRM import (spec/import-formats.md): the generic CSV set and the Maven CRM export.

``crm_import`` / ``crm_import_path`` / ``crm_import_uploads`` are the entry points;
the command ``import_crm`` and the admin upload page call them.
"""

from sales.importers.issues import Counts, ImportResult, Issue
from sales.importers.service import crm_import, crm_import_path, crm_import_uploads, import_file_names

__all__ = [
    "Counts",
    "ImportResult",
    "Issue",
    "crm_import",
    "crm_import_path",
    "crm_import_uploads",
    "import_file_names",
]
