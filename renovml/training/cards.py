"""The model card and the data card: Markdown written from computed figures only.

Nothing here measures anything; every number comes from the metrics that
:func:`renovml.train` computed or from the corpus itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from renovml.themes import THEMES

__all__ = ["agreement_figures", "data_card", "model_card"]


def _row(name: str, s: dict) -> str:
    cells = " | ".join(f"{s[t]['precision']:.3f} / {s[t]['recall']:.3f} / {s[t]['f1']:.3f}"
                       for t in THEMES)
    return f"| {name} | {cells} | **{s['macro_f1']:.3f}** |"


def _table(rows: list[tuple[str, dict]]) -> str:
    head = "| model | " + " | ".join(f"{t} P / R / F1" for t in THEMES) + " | macro-F1 |"
    sep = "|---" * (len(THEMES) + 2) + "|"
    return "\n".join([head, sep] + [_row(n, s) for n, s in rows])



def agreement_figures(path: str | os.PathLike) -> dict:
    """Cohen's kappa and F1 between the two independent labelling passes, per theme:
    over every double-annotated sentence, and per ``sample`` (records without one belong
    to the first sample, drawn from the whole corpus)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]
    out = _agreement(rows)
    samples: dict[str, list] = {}
    for r in rows:
        samples.setdefault(r.get("sample", FIRST_SAMPLE), []).append(r)
    out["samples"] = {name: _agreement(rs) for name, rs in samples.items()}
    return out


FIRST_SAMPLE = "whole corpus (first sample)"


def _agreement(rows: list[dict]) -> dict:
    from sklearn.metrics import cohen_kappa_score, f1_score

    out = {"sentences": len(rows),
           "identical_label_sets": sum(r["first_pass"] == r["second_pass"] for r in rows),
           "themes": {}}
    for theme in THEMES:
        a = [theme in r["first_pass"] for r in rows]
        b = [theme in r["second_pass"] for r in rows]
        out["themes"][theme] = {"kappa": round(float(cohen_kappa_score(a, b)), 3),
                                "f1": round(float(f1_score(a, b)), 3),
                                "first_pass": sum(a), "second_pass": sum(b)}
    disputed = [r for r in rows if r["first_pass"] != r["second_pass"]]
    out["disagreements"] = len(disputed)
    out["resolved_to_first"] = sum(r["resolved"] == r["first_pass"] for r in disputed)
    out["resolved_to_second"] = sum(r["resolved"] == r["second_pass"] for r in disputed)
    return out


def _agreement_table(ag: dict) -> str:
    return "\n".join(f"| {t} | {v['kappa']:.3f} | {v['f1']:.3f} | {v['first_pass']} | "
                     f"{v['second_pass']} |" for t, v in ag["themes"].items())


def data_card(articles: list[dict], stats: dict, agreement: str | os.PathLike) -> str:
    """The corpus's data card: provenance, counts, agreement and known gaps.

    ``agreement`` is the JSONL file of the double-annotated sample.
    """
    def counts(d):
        return ", ".join(f"{k} {v}" for k, v in d.items())

    ag = agreement_figures(agreement)
    ag_samples = "\n\n".join(
        f"**{name}**: {x['sentences']} sentences, {x['identical_label_sets']} with identical "
        f"label sets; {x['disagreements']} disagreements settled ({x['resolved_to_first']} to "
        f"the first pass, {x['resolved_to_second']} to the second).\n\n"
        "| theme | Cohen's kappa | F1 between passes | first pass | second pass |\n"
        "|---|---|---|---|---|\n" + _agreement_table(x)
        for name, x in ag["samples"].items())
    prov = "\n".join(
        f"| {a['id']} | {a['origin']} | {a['genre']} | {a['place']['province']} | {a['date']} | "
        f"{a['script']} | {a.get('source_url') or a.get('source_file')} |"
        for a in sorted(articles, key=lambda a: a["id"]))
    return f"""# Data card: the renovml corpus

*Counts and agreement figures below are written by `python train.py --data-card` from the
corpus itself; `python train.py --stats` prints the counts as JSON.*

## What it is
`seeds/*.txt` are five real article pages as scraped, kept byte for byte. `seeds/corpus/`
holds the annotated corpus in the annotation format (README, *Training on your own data*):
`seeds.jsonl` labels every paragraph and sentence of the five seeds exactly as
`renovml.sections` splits their cleaned text; `written_*.jsonl` are articles written for
this project. Labels follow `ANNOTATION.md`.

Each written article is based on one real public article on the topic, named by its
`source_url` (and `source_title`), and restates it in the project's own words: facts,
figures, places, people and programme names carry over, sentences do not. Each keeps its
source's genre and its mix of on-theme and off-theme text (bylines, attendee lists,
slogans). Every source was checked against the list of articles held out for independent
evaluation (`renovml.training.corpus.is_reserved`), and the validator checks it again.

## Counts
- articles: {stats['articles']} ({counts(stats['articles_per_origin'])})
- paragraphs: {stats['paragraphs']}; sentences: {stats['sentences']}
- sentences per theme: {counts(stats['sentences_per_theme'])}
- paragraphs per theme: {counts(stats['paragraphs_per_theme'])}
- sentences with no theme: {stats['no_theme_share']:.1%}; with two or more: {stats['multi_theme_share']:.1%}
- genres: {counts(stats['articles_per_genre'])}
- provinces ({len(stats['articles_per_province'])}): {counts(stats['articles_per_province'])}
- years: {counts(stats['articles_per_year'])}
- script: {counts(stats['articles_per_script'])}

## Agreement
{ag['sentences']} sentences were labelled a second time in a separate pass that did not see
the first labels: a random sample of the whole corpus, and a random sample of the articles
added since (at least a fifth of their sentences). Agreement between the passes, per sample:

{ag_samples}

The disagreements were settled by an adjudicator against the rules of `ANNOTATION.md` (for
the sample of added articles, one who saw the two label sets in random order, not knowing
which pass each came from); the settled labels are the corpus labels, and `seeds/agreement/double_annotation.jsonl` records both passes, the
settled label and the rule applied for each sentence. Governance is the least consistent
theme: the line between a mechanism and a slogan, and between a plan target and a bare
tally, is the one the annotators most often drew differently.

## Known gaps
- Genres are uneven: resident notices are rare ({stats['articles_per_genre'].get('resident_notice', 0)}
  articles), because most notices found were held out for evaluation.
- Provinces are uneven; those with five articles or fewer: {", ".join(f"{k} {v}" for k, v in stats["articles_per_province"].items() if v <= 5) or "none"}.
- The stored copies of sources are excerpts (the opening of each page). Articles from
  `written_8.jsonl` on were checked against the saved text of their source and hold nothing
  it does not report; they are therefore shorter. In `written_1.jsonl` to `written_7.jsonl`,
  where a source broke off, some articles add genre-typical content (plan sections, closing
  requirements) that is not in the source; no quotation is attributed to a named person
  there.
- A few source titles were not visible and are left empty or descriptive; where a page gave
  no date, the date is the one in its address (seed 002's year is inferred from its content).
- Several source URLs are reposts on mirror sites of the original news story.
- Written articles are cleaner than scraped pages; the seeds and the cleaning pipeline
  carry the noise of real pages.

## Provenance
| id | origin | genre | province | date | script | source |
|---|---|---|---|---|---|---|
{prov}
"""


def model_card(m: dict) -> str:
    ft = m["baselines"]["fasttext"]
    kw = m["baselines"]["keyword"]
    c = m["corpus"]
    sent_rows = [("renovml (shipped)", m["sentence"]), ("keyword lexicon rule", kw["sentence"])]
    para_rows = [("renovml (shipped)", m["paragraph"]), ("keyword lexicon rule", kw["paragraph"])]
    if ft:
        sent_rows.append(("fastText (ova)", ft["sentence"]))
        para_rows.append(("fastText (ova)", ft["paragraph"]))
    def _hard(e):
        return "-" if e.get("hard_case_macro_f1") is None else f"{e['hard_case_macro_f1']:.3f}"

    def _themes(e):
        return " / ".join(f"{e['sentence'][t]['f1']:.2f}" for t in THEMES)

    exp = "\n".join(f"| {e['config']}{'' if e.get('shippable', True) else ' (experiment)'} | "
                    f"{e['sentence']['macro_f1']:.3f} | {_themes(e)} | "
                    f"{e['paragraph_from_sentences']['macro_f1']:.3f} | {_hard(e)} | "
                    f"{e['seconds']} |" for e in m["experiments"])
    pe = m["paragraph_experiment"]
    cal = "\n".join(f"| {t} | {v['brier']:.3f} | {v['ece']:.3f} |"
                    for t, v in m["calibration_sentence_oof"].items())
    curve = "\n".join(f"| {x['share_of_training_articles']:.0%} (~{x['approx_training_articles']}) "
                      f"| {x['sentence_macro_f1']:.3f} | {x['paragraph_macro_f1']:.3f} |"
                      for x in m["learning_curve"])
    curve += (f"\n| 100% | {m['sentence']['macro_f1']:.3f} | {m['paragraph']['macro_f1']:.3f} |"
              if m["learning_curve"] else "")
    v = m["versions"]
    hard = _hard_cases_section(m.get("hard_cases"))
    return f"""# Model card: renovml theme classifier

*Written by `train.py`; every figure below is computed, none is edited by hand.*

## What it does
Tags a section (sentence or paragraph) of a Chinese report on old-neighbourhood
renovation and urban renewal with zero or more of four themes: {", ".join(THEMES)}.
Definitions: `ANNOTATION.md`.

## Shipped configuration
- features: **{m['shipped']['config']}** (TF-IDF, one logistic regression per theme)
- paragraphs: **{m['shipped']['paragraph_mode']}**
- sentence thresholds: {m['shipped']['thresholds']}
- paragraph thresholds: {m['shipped']['paragraph_thresholds']}

## Evaluation
{m['evaluation']}. Corpus: {c['articles']} articles, {c['paragraphs']} paragraphs,
{c['sentences']} sentences (corpus hash `{m['corpus_hash'][:16]}`).
Each cell is precision / recall / F1, pooled over the held-out folds.

### Sentence level
{_table(sent_rows)}

Per-fold macro-F1: mean {m['sentence_fold_spread']['mean']:.3f}, sd {m['sentence_fold_spread']['std']:.3f}.

### Paragraph level
{_table(para_rows)}

Per-fold macro-F1: mean {m['paragraph_fold_spread']['mean']:.3f}, sd {m['paragraph_fold_spread']['std']:.3f}.

{_parts_section(m.get("parts"))}{"fastText: supervised, one-vs-all loss, same folds and thresholding, computed by `baselines/fasttext_baseline.py`." if ft else "fastText baseline: not computed for this corpus and these folds (run `train.py --fasttext-python ...`)."}

### Experiments (same folds; cheapest first; the first within {m['selection_tolerance']} of the best shippable sentence macro-F1 is shipped)
Rows marked *experiment* are scored the same way but cannot ship: the shipped scorer computes
one logistic regression per theme over words with bigrams and character n-grams up to 3.

| features | sentence macro-F1 | sentence F1 per theme ({" / ".join(THEMES)}) | paragraph macro-F1 (rolled up) | hard-case macro-F1 | seconds |
|---|---|---|---|---|---|
{exp}

Paragraphs scored by rolling up sentence scores (max): macro-F1 {pe['aggregate_from_sentences']['macro_f1']:.3f};
by a model trained on paragraphs directly: {pe['direct']['macro_f1']:.3f}.
Choosing among these candidates on the same folds favours the winner slightly; the
differences are reported as measured.

{hard}
### Calibration (sentence, out-of-fold)
| theme | Brier | ECE (10 bins) |
|---|---|---|
{cal}

### Learning curve (share of each training fold's articles kept)
| training articles | sentence macro-F1 | paragraph macro-F1 |
|---|---|---|
{curve}

## Limits
- Trained on {c['articles']} articles: {c['articles_per_origin']} by origin. Written articles
  restate real reports in the project's own words; see `seeds/README.md`.
- Articles from the same province, genre and year share vocabulary; figures from grouped CV
  on this corpus may overstate quality on very different reporting.

## Environment
{", ".join(f"{k} {val}" for k, val in v.items())}. Training took {m['training_seconds']} s;
artifact {m['artifact_bytes'] / 1e6:.1f} MB.
"""


def _hard_cases_section(hc: dict | None) -> str:
    if not hc or not hc["renovml"]["sentences"]:
        return "### Hard cases\nNo sentence of this corpus is tagged with a hard-case pattern.\n"
    ours, kw = hc["renovml"], hc["keyword"]
    rows = "\n".join(
        f"| {name} | {x['sentences']} | {x['exact']:.2f} | {kw['patterns'][name]['exact']:.2f} | "
        f"{', '.join(f'{t} {n}' for t, n in x['false_positives'].items()) or '-'} | "
        f"{', '.join(f'{t} {n}' for t, n in x['false_negatives'].items()) or '-'} |"
        for name, x in ours["patterns"].items())
    return f"""### Hard cases (sentences tagged with an `ANNOTATION.md` pattern, out-of-fold)
{ours['sentences']} sentences. Macro-F1 on this slice: **{ours['slice']['macro_f1']:.3f}**
(keyword rule {kw['slice']['macro_f1']:.3f}).

| pattern | sentences | exactly right | keyword rule exactly right | false positives | false negatives |
|---|---|---|---|---|---|
{rows}
"""


def _parts_section(parts: list | None) -> str:
    if not parts:
        return ""
    rows = "\n".join(
        f"| {Path(x['corpus']).name} | {x['articles']} | {x['sentences']} | "
        + (f"{x['sentence']['macro_f1']:.3f} | " if x["sentence"] else "- | ")
        + (f"{x['paragraph']['macro_f1']:.3f} |" if x["paragraph"] else "- |")
        + " " + (" / ".join(f"{x['sentence'][t]['f1']:.2f}" for t in THEMES)
                 if x["sentence"] else "-") + " |"
        for x in parts)
    return f"""### By corpus part (same folds; each part's held-out sections)
| corpus | articles | sentences | sentence macro-F1 | paragraph macro-F1 | sentence F1 per theme |
|---|---|---|---|---|---|
{rows}

"""
