import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "seeds"
SEED_PATHS = sorted(SEED_DIR.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_paths():
    assert len(SEED_PATHS) == 5, "the five seed articles must be in seeds/"
    return SEED_PATHS


# CI runs the property tests on a fixed, larger sample so a run is repeatable;
# locally each run explores new examples.
settings.register_profile("ci", derandomize=True, max_examples=500, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
