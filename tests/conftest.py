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


@pytest.fixture(scope="session")
def tiny_model():
    """A model trained in seconds on the seed annotations and one part of the corpus."""
    from renovml.training.corpus import read_corpus
    from renovml.training.cv import Config, fit_model, units_of

    articles = read_corpus(SEED_DIR / "corpus" / "seeds.jsonl") + read_corpus(
        SEED_DIR / "corpus" / "written_1.jsonl")
    sentences = units_of(articles, "sentence")
    return fit_model(Config("tiny", context_weight=0.3), sentences,
                     thresholds=[0.4] * 4, paragraph_thresholds=[0.5] * 4,
                     metadata={"corpus_hash": "tiny"})
