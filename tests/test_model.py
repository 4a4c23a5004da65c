"""The theme model: predictions, explanations, tagging, and the model file."""

import json
import pickle
import warnings

import numpy as np
import pytest
from conftest import ROOT, SEED_PATHS

import renovml
from renovml import ArtifactError
from renovml.model.artifact import MANIFEST_NAME, ModelVersionWarning, load, save
from renovml.themes import THEMES
from renovml.training.corpus import corpus_hash

TEXTS = [
    "争取中央补助资金和地方政府专项债券共3.2亿元用于老旧小区改造。",
    "小区新建电梯12部，改造雨污管网3公里，增设充电桩。",
    "引入专业物业服务企业，建立长效管理机制，防止问题反弹。",
    "区委书记主持召开联席会议，压实部门责任，开展督导检查。",
    "记者 王某 通讯员 李某",
]


def test_predict_proba_shape_and_columns(tiny_model):
    proba = tiny_model.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 4)
    assert tiny_model.themes == list(THEMES)
    assert ((proba >= 0) & (proba <= 1)).all()


def test_predictions_follow_the_text(tiny_model):
    proba = tiny_model.predict_proba(TEXTS)
    col = {t: i for i, t in enumerate(THEMES)}
    # Each of the first four sentences scores highest on its own theme.
    for row, theme in zip(proba[:4], ["funding", "infrastructure", "management", "governance"]):
        assert row.argmax() == col[theme], (theme, row)


def test_predict_applies_thresholds(tiny_model):
    proba = tiny_model.predict_proba(TEXTS)
    labels = tiny_model.predict(TEXTS)
    for row, themes in zip(proba, labels):
        assert themes == [t for t, p in zip(THEMES, row) if p >= 0.4]


def test_predict_rejects_a_bare_string(tiny_model):
    with pytest.raises(TypeError, match="wrap it in a list"):
        tiny_model.predict("加装电梯")


def test_empty_input_gives_empty_output(tiny_model):
    assert tiny_model.predict_proba([]).shape == (0, 4)
    assert tiny_model.predict([]) == []


def test_traditional_input_scores_like_simplified(tiny_model):
    simplified = tiny_model.predict_proba(["引入专业物业服务企业，建立长效管理机制。"])
    traditional = tiny_model.predict_proba(["引入專業物業服務企業，建立長效管理機制。"])
    np.testing.assert_allclose(simplified, traditional)


def test_explain_returns_only_terms_of_the_text(tiny_model):
    for text in TEXTS:
        explained = tiny_model.explain(text, top=5)
        assert set(explained) == set(THEMES)
        # A section is read as given (normalised, not page-cleaned: a byline stays a byline).
        clean = renovml.text.normalize(text).lower()
        for theme, terms in explained.items():
            assert len(terms) <= 5
            for term, weight in terms:
                assert term.lower() in clean, (theme, term)
                assert weight != 0


def test_explain_points_at_the_evidence(tiny_model):
    terms = [t for t, w in tiny_model.explain(TEXTS[2], top=5)["management"] if w > 0]
    assert any("物业" in t or "长效" in t for t in terms), terms


def test_explain_rejects_bad_top(tiny_model):
    with pytest.raises(ValueError, match="top must be a positive integer"):
        tiny_model.explain("加装电梯", top=0)


@pytest.mark.parametrize("path", SEED_PATHS, ids=lambda p: p.name[:3])
@pytest.mark.parametrize("unit", ["paragraph", "sentence"])
def test_tag_seeds_offsets_slice_back(tiny_model, path, unit):
    raw = renovml.read_text(path)
    tagged = tiny_model.tag(raw, unit=unit)
    text = tagged.article.text
    assert tagged.sections
    for st in tagged.sections:
        assert st.section.unit == unit
        assert text[st.section.start:st.section.end] == st.section.text
        assert set(st.scores) == set(THEMES)
        assert set(st.themes) <= set(THEMES)
    shares = [sum(t in st.themes for st in tagged.sections) / len(tagged.sections) for t in THEMES]
    assert list(tagged.summary.values()) == pytest.approx(shares, abs=1e-4)


def test_tag_accepts_an_article(tiny_model):
    article = renovml.Article.from_path(SEED_PATHS[3])
    assert tiny_model.tag(article).article is article


def test_tag_threshold_override(tiny_model):
    raw = renovml.read_text(SEED_PATHS[3])
    everything = tiny_model.tag(raw, thresholds={t: 0.0 for t in THEMES})
    assert all(st.themes == list(THEMES) for st in everything.sections)
    nothing = tiny_model.tag(raw, thresholds={t: 1.0 for t in THEMES})
    assert all(st.themes == [] for st in nothing.sections if max(st.scores.values()) < 1.0)
    with pytest.raises(ValueError, match="unknown theme 'money'"):
        tiny_model.tag(raw, thresholds={"money": 0.5})


def test_tag_empty_article(tiny_model):
    tagged = tiny_model.tag("<p></p>")
    assert tagged.sections == []
    assert tagged.summary == {t: 0.0 for t in THEMES}


def test_classifier_pickles_without_a_tokenizer(tiny_model):
    blob = pickle.dumps(tiny_model.classifier)
    assert b"renovml.model.tokens" in blob and b"tokenize" in blob
    assert b"jieba" not in blob  # the Tokenizer object (and its lock) is not in the file


def test_round_trip_gives_same_predictions(tiny_model, tmp_path):
    save(tiny_model, tmp_path)
    loaded = load(tmp_path, trusted=True)  # not the shipped model: it needs trust
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), tiny_model.predict_proba(TEXTS))
    np.testing.assert_array_equal(loaded.thresholds, tiny_model.thresholds)
    assert loaded.metadata["corpus_hash"] == "tiny"
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["themes"] == list(THEMES)
    assert "scikit-learn" in manifest["versions"]


def test_tampered_artifact_is_refused(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match the manifest"):
        load(tmp_path)


def test_missing_artifact_is_named(tmp_path):
    with pytest.raises(ArtifactError, match="no model artifact there"):
        load(tmp_path / "nothing.joblib")


def test_missing_manifest_needs_trust(tiny_model, tmp_path):
    path = save(tiny_model, tmp_path)
    (tmp_path / MANIFEST_NAME).unlink()
    with pytest.raises(ArtifactError, match="cannot be verified"):
        load(path)
    assert load(path, trusted=True).themes == list(THEMES)


def test_scikit_learn_version_mismatch_is_reported(tiny_model, tmp_path, monkeypatch):
    import renovml.model.artifact as artifact

    real = artifact.versions()
    monkeypatch.setattr(artifact, "versions",
                        lambda: {**real, "scikit-learn": "1.0.0" if not real[
                            "scikit-learn"].startswith("1.0.") else "1.1.0"})
    save(tiny_model, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load(tmp_path, trusted=True)
    assert any(issubclass(w.category, ModelVersionWarning) for w in caught)
    monkeypatch.setattr(artifact, "versions", lambda: {**real, "scikit-learn": "0.24.2"})
    save(tiny_model, tmp_path)
    with pytest.raises(ArtifactError, match="trained with scikit-learn 0.24.2"):
        load(tmp_path, trusted=True)


def test_not_a_model_file_is_refused(tmp_path):
    path = tmp_path / "renovml-themes.joblib"
    path.write_bytes(b"not a pickle")
    with pytest.raises(ArtifactError, match="not a readable model file"):
        load(path, trusted=True)


def test_shipped_model_loads_and_is_fresh():
    model = renovml.load()
    assert model.themes == list(THEMES)
    # A model trained before the corpus last changed is stale: retrain with train.py.
    assert model.metadata["corpus_hash"] == corpus_hash(ROOT / "seeds" / "corpus")


def test_shipped_model_card_matches_the_artifact():
    model = renovml.load()
    metrics = json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["corpus_hash"] == model.metadata["corpus_hash"]
    assert metrics["shipped"]["thresholds"] == dict(zip(THEMES, np.round(model.thresholds, 2)))


FIT_TINY = """
import sys
from renovml.training.corpus import read_corpus
from renovml.training.cv import Config, fit_model, units_of
from renovml.model.artifact import save
articles = read_corpus(sys.argv[1])
model = fit_model(Config("tiny", context_weight=0.3), units_of(articles, "sentence"),
                  thresholds=[0.5] * 4, paragraph_thresholds=[0.5] * 4, metadata={})
save(model, sys.argv[2])
"""


def test_training_is_reproducible_byte_for_byte(tmp_path):
    import os
    import subprocess
    import sys

    corpus = ROOT / "seeds" / "corpus" / "seeds.jsonl"
    outputs = []
    for seed in ("1", "2"):  # different string-hash seeds, as in two separate runs
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", FIT_TINY, str(corpus), str(out)], check=True,
                       env=env, timeout=300)
        outputs.append((out / "renovml-themes.joblib").read_bytes())
    assert outputs[0] == outputs[1]


def test_paragraph_scores_are_the_max_of_their_sentences(tiny_model):
    paragraphs = ["争取专项债资金。小区加装电梯十部。", "引入物业服务企业，建立长效管理机制。"]
    got = tiny_model.predict_proba(paragraphs, unit="paragraph")
    for row, paragraph in zip(got, paragraphs):
        parts = [s.text for s in renovml.sections(renovml.clean(paragraph), "sentence")]
        from renovml.model.context import with_context

        expected = tiny_model.classifier.predict_proba(with_context([parts], "sentence")).max(axis=0)
        np.testing.assert_allclose(row, expected)


def _corpus_inputs():
    from renovml.model.context import with_context
    from renovml.training.corpus import read_corpus

    articles = read_corpus(ROOT / "seeds" / "corpus" / "written_2.jsonl")
    inputs = []
    for article in articles:
        paragraphs = [[s["text"] for s in p["sentences"]] for p in article["paragraphs"]]
        inputs += with_context(paragraphs, "sentence")
    return inputs


def test_compiled_scores_equal_the_pipeline_with_context(tiny_model):
    # The tiny model reads headings and neighbours too (a heading is scored once for all the
    # sections under it).
    inputs = _corpus_inputs()
    assert len({x["heading"] for x in inputs}) < len(inputs)
    np.testing.assert_allclose(tiny_model.scorer.predict_proba(inputs),
                               tiny_model.classifier.predict_proba(inputs), rtol=0, atol=1e-9)


def test_word_memo_renewal_changes_nothing(tiny_model, monkeypatch):
    from renovml.model import compiled, tokens

    inputs = _corpus_inputs()
    expected = tiny_model.classifier.predict_proba(inputs)
    monkeypatch.setattr(compiled, "_WORD_CODES_MAX", 5)
    monkeypatch.setattr(tokens, "_WORD_MEMO_MAX", 5)
    for _ in range(2):  # memos renewed many times over, by batches of one article
        got = np.vstack([tiny_model.scorer.predict_proba(inputs[i:i + 20])
                         for i in range(0, len(inputs), 20)])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_scores_are_the_same_from_many_threads_while_memos_renew(tiny_model, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from renovml.model import compiled, tokens

    inputs = _corpus_inputs()
    expected = tiny_model.classifier.predict_proba(inputs)
    monkeypatch.setattr(compiled, "_WORD_CODES_MAX", 50)
    monkeypatch.setattr(tokens, "_WORD_MEMO_MAX", 50)
    chunks = [inputs[i:i + 7] for i in range(0, len(inputs), 7)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(tiny_model.scorer.predict_proba, chunks * 3))
    np.testing.assert_allclose(np.vstack(got), np.vstack([expected] * 3), rtol=0, atol=1e-9)


def test_an_article_cuts_its_sections_once_and_hands_out_copies():
    article = renovml.Article.from_text("一、总体要求\n争取专项债资金。小区加装电梯十部。\n引入物业服务企业。")
    first = article.sentences
    first.clear()
    assert [s.id for s in article.sentences] == ["p0.s0", "p1.s0", "p1.s1", "p2.s0"]
    assert article.sentences[1] is article.sentences[1]  # cut once, kept
    assert article.sections("sentence") == article.sentences
    assert article.sections("paragraph") == article.paragraphs
    assert [s.text for s in article.paragraphs] == [
        "一、总体要求", "争取专项债资金。小区加装电梯十部。", "引入物业服务企业。"]
    with pytest.raises(ValueError, match="unit must be one of"):
        article.sections("page")


@pytest.mark.parametrize("path", SEED_PATHS[:2], ids=lambda p: p.name[:3])
def test_tagged_paragraphs_score_the_max_of_their_sentences(tiny_model, path):
    article = renovml.Article.from_path(path)
    sentences = tiny_model.tag(article, "sentence").sections
    paragraphs = tiny_model.tag(article, "paragraph").sections
    assert len(paragraphs) == len(article.paragraphs) > 3
    for p in paragraphs:
        mine = [s.scores for s in sentences if s.section.paragraph == p.section.paragraph]
        assert p.scores == {t: max(s[t] for s in mine) for t in THEMES}
        th = tiny_model.thresholds_for("paragraph")
        assert p.themes == [t for t, x in zip(THEMES, th) if p.scores[t] >= x]


def test_tag_many_equals_tag_one_by_one(tiny_model):
    articles = [renovml.Article.from_path(p) for p in SEED_PATHS] + [renovml.Article(text="")]
    for unit in ("paragraph", "sentence"):
        many = tiny_model.tag_many(articles, unit)
        for article, got in zip(articles, many):
            one = tiny_model.tag(article, unit)
            assert [(s.section, s.themes, s.scores) for s in got.sections] == [
                (s.section, s.themes, s.scores) for s in one.sections]
            assert got.summary == one.summary


def test_a_model_of_characters_alone_never_loads_a_segmenter(tiny_model):
    import subprocess
    import sys

    from renovml.training.corpus import read_corpus
    from renovml.training.cv import Config, fit_model, units_of

    assert tiny_model.segments_words
    sentences = units_of(read_corpus(ROOT / "seeds" / "corpus" / "written_1.jsonl"), "sentence")
    chars = fit_model(Config("chars", words=False, lexicon=False), sentences,
                      thresholds=[0.4] * 4, paragraph_thresholds=[0.5] * 4)
    assert not chars.segments_words
    code = ("import pickle, sys; from renovml import batch; "
            "batch.init_worker(None, False, 'paragraph', {}, 0, 'auto', "
            "model=pickle.loads(sys.stdin.buffer.read())); "
            "batch._worker_state['model'].tag('加装电梯三部。'); "
            "print(sorted(m for m in sys.modules if 'jieba' in m))")
    for model, loaded in ((chars, "[]"), (tiny_model, "jieba")):
        out = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(model),
                             capture_output=True, check=True).stdout.decode()
        assert (out.strip() == "[]") == (loaded == "[]"), out
