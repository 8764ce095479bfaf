"""The order test files start in: the longest first, so that with several workers
(`make test` runs three, one file per worker at a time) the suite does not wait at its end for
one long file that started last. Loaded by conftest.py; `make test` passes
--no-loadscope-reorder, or xdist would hand out files by their number of tests (the crash
harness, one test of five minutes, would start last)."""

from __future__ import annotations

# Files that take minutes, longest first (a test file missing here keeps its place).
LONGEST = (
    "tests/deploy/test_crash_safety.py",
    "tests/deploy/test_fresh_servers.py",
    "tests/deploy/test_interrupts.py",
    "tests/deploy/test_deploy_dry_run.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Move the longest files' tests to the front, each file's tests in their own order."""
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return LONGEST.index(path) if path in LONGEST else len(LONGEST)
    items[:] = sorted(items, key=rank)
