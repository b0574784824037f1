"""No module imports one that imports it back, across the whole project (imports inside functions count).

The import-linter contracts in pyproject.toml keep the layers and the packages of each app acyclic;
this also covers cycles that cross apps of one layer (accounts, sales, territories, reps).
"""

import grimp

PACKAGES = ("kpi_dashboard", "accounts", "territories", "reps", "sales", "metrics", "dashboards", "api")


def test_no_module_imports_itself_back():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert cycles == []
