"""A longer fuzz of the CRM importer than CI runs: thousands of inputs, bounded in time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kpi_fuzz .venv/bin/python benchmarks/import_fuzz.py \\
        --examples 3000 --minutes 5 --seed 0

The database named in DATABASE_URL (default kpi_fuzz) is migrated; the acceptance set and
the Maven export are imported in a transaction rolled back at the end, so the database is
left as it was. Inputs mix every strategy of tests/sales/test_import_fuzz.py (mutated real
files of both formats, random files, zip archives; one in five a dry run) and each goes
through the same checks: no exception escapes, written whole or not at all, readable errors,
a dry run writes nothing. Prints how many inputs were tried and how they ended; on a failure,
the input hypothesis shrank it to and the traceback, and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_fuzz")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_dashboard.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from hypothesis import given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.helpers.import_fuzz_checks import TALLY, base_import, fuzz_one, tally_line  # noqa: E402
from tests.helpers.import_fuzz_inputs import FUZZ, archive_inputs, csv_inputs  # noqa: E402
from tests.helpers.import_fuzz_values import SOURCES  # noqa: E402

INPUTS = st.one_of(
    csv_inputs("generic"),
    csv_inputs("maven"),
    st.sampled_from(list(SOURCES)).flatmap(lambda format: csv_inputs(format, random=True)),
    archive_inputs(),
)


def fuzz(*, examples: int, seconds: float, seed_value: int) -> bool:
    """Run up to ``examples`` inputs within ``seconds``; return whether the time limit cut the run short."""
    stop = time.monotonic() + seconds
    cut_short = False

    @seed(seed_value)
    @settings(FUZZ, max_examples=examples, derandomize=False)
    @given(case=INPUTS, dry_run=st.integers(0, 4).map(lambda n: n == 4))
    def one(case, dry_run: bool) -> None:
        nonlocal cut_short
        if time.monotonic() > stop:
            cut_short = True  # hypothesis still draws the remaining examples; they are not imported
            return
        fuzz_one(case, dry_run=dry_run)

    one()
    return cut_short


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3000, help="inputs to try (default 3000)")
    parser.add_argument("--minutes", type=float, default=5.0, help="time limit (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed: the same seed tries the same inputs")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    status = 0
    with transaction.atomic():
        base_import()
        try:
            cut_short = fuzz(examples=args.examples, seconds=args.minutes * 60, seed_value=args.seed)
        except Exception:  # a failing input: hypothesis has shrunk it and noted it in the traceback
            traceback.print_exc()
            cut_short, status = False, 1
        transaction.set_rollback(True)
    elapsed = time.monotonic() - started
    limit = f", stopped at the {args.minutes:g}-minute limit" if cut_short else ""
    print(f"import fuzz (seed {args.seed}, {elapsed:.0f} s{limit}): {tally_line()}")
    if status:
        print("FAILED: an input broke a property (see above)")
    elif sum(TALLY.values()) == 0:
        print("FAILED: no input was tried")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
