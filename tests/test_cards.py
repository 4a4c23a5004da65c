"""The data card and model card are products of the data, not hand-written figures."""

import json
import sys

import pytest
from conftest import ROOT

from renovml.training import cards
from renovml.training.corpus import corpus_hash, corpus_stats, read_corpus

sys.path.insert(0, str(ROOT))
train = pytest.importorskip("train")
AGREEMENT = ROOT / "seeds" / "agreement" / "double_annotation.jsonl"


def test_data_card_is_current():
    articles = read_corpus(ROOT / "seeds" / "corpus")
    expected = cards.data_card(articles, corpus_stats(articles), AGREEMENT)
    assert (ROOT / "seeds" / "README.md").read_text(encoding="utf-8") == expected, (
        "seeds/README.md is stale: run python train.py --data-card")


def test_agreement_covers_at_least_300_sentences():
    figures = cards.agreement_figures(AGREEMENT)
    assert figures["sentences"] >= 300
    assert set(figures["themes"]) == {"funding", "governance", "infrastructure", "management"}


def test_model_card_is_for_this_corpus():
    metrics = json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["corpus_hash"] == corpus_hash(ROOT / "seeds" / "corpus")
    card = (ROOT / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card == cards.model_card(metrics), "MODEL_CARD.md differs from metrics.json"


def test_stats_command_prints_json(capsys):
    assert train.main(["--stats"]) == 0
    stats = json.loads(capsys.readouterr().out)
    for key in ("articles", "sentences", "paragraphs", "sentences_per_theme", "no_theme_share"):
        assert key in stats
