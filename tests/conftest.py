from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "seeds"
SEED_PATHS = sorted(SEED_DIR.glob("*.txt"))


@pytest.fixture(scope="session")
def seed_paths():
    assert len(SEED_PATHS) == 5, "the five seed articles must be in seeds/"
    return SEED_PATHS
