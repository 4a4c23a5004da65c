"""Training from Python: renovml.train, renovml.evaluate and the ThemeClassifier estimator."""

import json
import pickle

import numpy as np
import pytest
from conftest import ROOT
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

import renovml
from renovml.model.artifact import ARTIFACT_NAME, MANIFEST_NAME, versions
from renovml.themes import THEMES
from renovml.training import Config, load_corpus

CORPUS = ROOT / "seeds" / "corpus"
CHEAP = Config("words + chars", lexicon=False)


def _sentence(text, labels):
    return {"text": text, "labels": labels}


def _article(i, sentences):
    """A corpus-format article of one paragraph per sentence."""
    return {"id": f"t-{i:02d}", "source_url": f"https://example.org/news/{i}", "title": f"t{i}",
            "date": "2022-05-01", "place": {"province": "湖南"}, "genre": "meeting_report",
            "script": "simplified", "origin": "written",
            "paragraphs": [{"text": s["text"], "labels": s["labels"], "sentences": [s]}
                           for s in sentences]}


# Sentences made for these tests: each article mixes the four themes and a byline.
_FRAMES = [
    ("{place}争取中央补助资金{n}万元，地方财政配套{m}万元用于小区改造。", ["funding"]),
    ("{place}改造雨污管网{n}米，新装路灯{m}盏，加装电梯{k}部。", ["infrastructure"]),
    ("{place}街道召开居民议事会，征求{n}户居民对改造方案的意见。", ["governance"]),
    ("{place}引入物业服务企业，建立{n}项长效管理制度，定期开展维护。", ["management"]),
    ("{place}通过银行贷款{n}万元和居民自筹资金，完成外墙保温和屋面防水改造。",
     ["funding", "infrastructure"]),
    ("记者 {place}报道 通讯员 李{n}", []),
]
_PLACES = ["东湖社区", "西城街道", "南园小区", "北关片区", "河口社区", "桥头小区", "新村街道",
           "老街社区", "枫林小区", "柳营片区"]


@pytest.fixture(scope="module")
def tiny_corpus():
    articles = []
    for i, place in enumerate(_PLACES):
        sentences = [_sentence(frame.format(place=place, n=10 * i + j + 3, m=7 * i + j + 2,
                                            k=i + j + 1), labels)
                     for j, (frame, labels) in enumerate(_FRAMES)]
        articles.append(_article(i, sentences))
    return articles


@pytest.fixture(scope="module")
def tiny_result(tiny_corpus):
    return renovml.train(tiny_corpus, folds=2, candidates=[CHEAP], learning_curve=False)


def test_train_returns_a_model_that_tags(tiny_result):
    assert isinstance(tiny_result.model, renovml.ThemeModel)
    tagged = tiny_result.model.tag("社区争取补助资金200万元。\n小区加装电梯5部，改造雨污管网。")
    assert len(tagged.sections) == 2
    assert set(tagged.summary) == set(THEMES)


def test_train_metrics_cover_the_four_themes(tiny_result):
    m = tiny_result.metrics
    for unit in ("sentence", "paragraph"):
        assert set(m[unit]) == set(THEMES) | {"macro_f1"}
        for theme in THEMES:
            assert set(m[unit][theme]) == {"precision", "recall", "f1", "support"}
            assert 0.0 <= m[unit][theme]["f1"] <= 1.0
    # Every article sits in one of the two folds, and the card reports this corpus.
    assert sorted(set(tiny_result.folds.values())) == [0, 1]
    assert len(tiny_result.folds) == len(_PLACES)
    assert m["corpus"]["articles"] == len(_PLACES)
    assert f"{m['sentence']['macro_f1']:.3f}" in tiny_result.model_card


def test_save_and_load_round_trip(tiny_result, tmp_path):
    artifact = tiny_result.save(tmp_path)
    for name in (ARTIFACT_NAME, MANIFEST_NAME, "MODEL_CARD.md", "metrics.json", "folds.json"):
        assert (tmp_path / name).is_file(), name
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(tiny_result.metrics))
    assert (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8") == tiny_result.model_card
    loaded = renovml.load(artifact, trusted=True)  # a freshly trained model needs trust
    texts = ["居民自筹资金30万元。", "新建停车棚两座。", "成立业主委员会。"]
    np.testing.assert_array_equal(loaded.predict_proba(texts),
                                  tiny_result.model.predict_proba(texts))
    assert loaded.thresholds.tolist() == tiny_result.model.thresholds.tolist()


def test_evaluate_scores_a_corpus(tiny_result, tiny_corpus):
    result = renovml.evaluate(tiny_result.model, tiny_corpus)
    assert result["articles"] == len(tiny_corpus)
    assert result["sentence"]["funding"]["support"] == 2 * len(tiny_corpus)
    # Trained on these very sentences, the model gets its own training data nearly right.
    assert result["sentence"]["macro_f1"] > 0.8


def test_train_accepts_a_list_of_paths(tmp_path, tiny_corpus):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in tiny_corpus[:5]),
                 encoding="utf-8")
    b.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in tiny_corpus[5:]),
                 encoding="utf-8")
    articles, digest = load_corpus([a, b])
    assert [x["id"] for x in articles] == [x["id"] for x in tiny_corpus]
    assert digest != load_corpus([a])[1]


def test_train_rejects_a_bad_corpus(tiny_corpus):
    broken = [dict(tiny_corpus[0], genre="poem")] + tiny_corpus[1:]
    with pytest.raises(renovml.CorpusError, match="genre"):
        renovml.train(broken, folds=2, candidates=[CHEAP])
    with pytest.raises(ValueError, match="grouped folds"):
        renovml.train(tiny_corpus[:3], folds=5, candidates=[CHEAP])
    with pytest.raises(TypeError, match="corpus must be"):
        renovml.train(42)


# --- the estimator ------------------------------------------------------------------

@pytest.fixture(scope="module")
def sections(tiny_corpus):
    texts, labels, groups = [], [], []
    for article in tiny_corpus:
        for p in article["paragraphs"]:
            texts.append(p["text"])
            labels.append(p["labels"])
            groups.append(article["id"])
    return texts, labels, np.array(groups)


def test_classifier_follows_the_estimator_contract():
    clf = renovml.ThemeClassifier(C=3.0, words=False)
    assert clf.get_params()["C"] == 3.0 and clf.get_params()["words"] is False
    clf.set_params(C=5.0)
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    assert not hasattr(twin, "pipeline_")
    with pytest.raises(NotFittedError):
        twin.predict_proba(["加装电梯"])
    with pytest.raises(TypeError):
        renovml.ThemeClassifier(3.0)  # keyword-only, as scikit-learn expects


def test_classifier_fits_ids_or_matrix_alike(sections):
    texts, labels, _ = sections
    from renovml.model import label_matrix

    by_ids = renovml.ThemeClassifier().fit(texts, labels)
    by_matrix = renovml.ThemeClassifier().fit(texts, label_matrix(labels))
    np.testing.assert_allclose(by_ids.predict_proba(texts), by_matrix.predict_proba(texts))
    assert by_ids.predict(texts).shape == (len(texts), 4)
    assert by_ids.decision_function(texts).shape == (len(texts), 4)
    assert list(by_ids.classes_) == list(THEMES)


def test_classifier_rejects_bad_labels(sections):
    texts, labels, _ = sections
    with pytest.raises(ValueError, match="unknown theme"):
        renovml.ThemeClassifier().fit(texts, [["money"]] + labels[1:])
    with pytest.raises(ValueError, match="label rows"):
        renovml.ThemeClassifier().fit(texts, labels[:-1])
    with pytest.raises(ValueError, match="every section or on none"):
        renovml.ThemeClassifier().fit(texts, [["funding"]] * len(texts))


def test_cross_val_score_with_groups(sections):
    texts, labels, groups = sections
    from renovml.model import label_matrix

    scores = cross_val_score(renovml.ThemeClassifier(), texts, label_matrix(labels),
                             groups=groups, cv=GroupKFold(3))
    assert scores.shape == (3,)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.mean() > 0.5  # the held-out articles share the frames: it learns them


def test_grid_search_with_group_kfold(sections):
    texts, labels, groups = sections
    from renovml.model import label_matrix

    search = GridSearchCV(renovml.ThemeClassifier(lexicon=False), {"C": [0.1, 10.0]},
                          cv=GroupKFold(2))
    search.fit(texts, label_matrix(labels), groups=groups)
    assert search.best_params_["C"] in (0.1, 10.0)
    assert search.predict(texts[:2]).shape == (2, 4)


def test_shipped_classifier_is_a_theme_classifier():
    model = renovml.load()
    assert isinstance(model.classifier, renovml.ThemeClassifier)
    assert model.metadata["config"] in {c.name for c in renovml.training.CANDIDATES}


def test_shipped_model_is_reproducible_from_the_corpus():
    """Training the shipped configuration again on the corpus gives the same model: the same
    thresholds and, step by step, the same fitted pipeline. (Whole-file bytes can differ
    between processes with different histories: pickle shares equal strings that happen to
    be one object; test_model checks byte identity between two runs of one path.)"""
    manifest = json.loads((ROOT / "models" / MANIFEST_NAME).read_text(encoding="utf-8"))
    have = versions()
    differ = {k: (v, have.get(k)) for k, v in manifest["versions"].items() if have.get(k) != v}
    if differ:
        pytest.skip(f"library versions differ from the shipped model's: {differ}")
    shipped = renovml.load()
    config = next(c for c in renovml.training.CANDIDATES if c.name == shipped.metadata["config"])
    result = renovml.train(CORPUS, candidates=[config], learning_curve=False)
    again = result.model
    assert again.metadata == shipped.metadata
    assert again.thresholds.tolist() == shipped.thresholds.tolist()
    assert again.paragraph_thresholds.tolist() == shipped.paragraph_thresholds.tolist()
    assert again.paragraph_mode == shipped.paragraph_mode
    assert again.classifier.get_params() == shipped.classifier.get_params()

    def steps(pipeline):
        features = pipeline.named_steps["features"]
        for block, step in features.transformer_list:
            for name, part in step.steps:
                for sub, leaf in getattr(part, "transformer_list", [(name, part)]):
                    yield f"{block}/{sub}", leaf
        yield "classifier", pipeline.named_steps["classifier"]

    for (name, a), (_, b) in zip(steps(again.classifier.pipeline_),
                                 steps(shipped.classifier.pipeline_), strict=True):
        assert sorted(vars(a)) == sorted(vars(b)), name
        for attr, value in vars(a).items():
            if attr == "estimators_":
                _assert_same_solutions(value, vars(b)[attr], name)
                continue
            assert pickle.dumps(value) == pickle.dumps(vars(b)[attr]), (
                f"{name}.{attr} differs: retrain with train.py")


# The solver's floating-point reductions follow the CPU's vector width, so weights fitted on
# another machine agree to solver tolerance, not to the bit (seen: 2.4e-3 on one weight of
# about 4 between an AVX-512 machine and the one that trained the shipped model). Every other
# fitted attribute must still be identical; a changed corpus is caught by the metadata check.
_WEIGHT_ATOL = 1e-2
_SOLVER_PATH = {"n_iter_"}  # how many steps the solver took to reach that tolerance


def _assert_same_solutions(mine, shipped, name):
    assert len(mine) == len(shipped), name
    for k, (a, b) in enumerate(zip(mine, shipped, strict=True)):
        where = f"{name}[{k}]"
        assert type(a) is type(b) and sorted(vars(a)) == sorted(vars(b)), where
        for attr, value in vars(a).items():
            other = vars(b)[attr]
            if attr in _SOLVER_PATH:
                continue
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                np.testing.assert_allclose(value, other, rtol=0, atol=_WEIGHT_ATOL,
                                           err_msg=f"{where}.{attr} differs: retrain with train.py")
            else:
                assert pickle.dumps(value) == pickle.dumps(other), (
                    f"{where}.{attr} differs: retrain with train.py")


def test_experiments_are_reported_and_never_shipped(tiny_corpus):
    from renovml.training.cv import Config

    chain = Config("chain", chars=False, lexicon=False, model="chain")
    wide = Config("chars 1-4", words=False, lexicon=False, char_range=(1, 4))
    assert CHEAP.shippable and not chain.shippable and not wide.shippable
    result = renovml.train(tiny_corpus, folds=2, candidates=[CHEAP], experiments=[chain, wide],
                           learning_curve=False)
    rows = {e["config"]: e for e in result.metrics["experiments"]}
    assert [rows[n]["shippable"] for n in (CHEAP.name, "chain", "chars 1-4")] == [
        True, False, False]
    assert result.metrics["shipped"]["config"] == CHEAP.name
    assert "chain (experiment)" in result.model_card
    with pytest.raises(ValueError, match="at least one shippable"):
        renovml.train(tiny_corpus, folds=2, candidates=[chain], learning_curve=False)


@pytest.mark.parametrize("model", ["svm", "chain"])
def test_a_classifier_that_is_not_one_logistic_regression_per_theme_does_not_compile(
        sections, model):
    from renovml.model.compiled import compile_classifier

    texts, labels, _ = sections
    fitted = renovml.ThemeClassifier(chars=False, lexicon=False, model=model).fit(texts, labels)
    assert fitted.predict_proba(texts).shape == (len(texts), 4)
    with pytest.raises(TypeError, match="only one logistic regression per theme compiles"):
        compile_classifier(fitted)


def test_paragraph_and_headline_context_compile_to_the_same_scores(tiny_corpus):
    from renovml.model.compiled import compile_classifier
    from renovml.training.cv import units_of

    units = units_of(tiny_corpus, "sentence")
    assert all(x["paragraph"] and x["title"] for x in units.inputs)
    fitted = renovml.ThemeClassifier(paragraph_weight=0.3, title_weight=0.3).fit(units.inputs,
                                                                                 units.y)
    names = [n for n, _ in fitted.pipeline_.named_steps["features"].transformer_list]
    assert names == ["section", "paragraph", "title"]
    np.testing.assert_allclose(compile_classifier(fitted).predict_proba(units.inputs),
                               fitted.predict_proba(units.inputs), rtol=0, atol=1e-9)
