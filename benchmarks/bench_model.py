"""Model benchmark: load time, predict throughput, share of predict time in jieba, size, memory.

    python benchmarks/bench_model.py [--repeat 3]

Runs on the seed articles' sentences. load() is timed in fresh processes after
jieba's dictionary cache has been built once (a warm cache). Prints figures.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

LOAD_SNIPPET = """
import time
t0 = time.perf_counter()
import renovml, sklearn.linear_model, sklearn.feature_extraction.text, sklearn.pipeline
t1 = time.perf_counter()
model = renovml.load()
t2 = time.perf_counter()
from renovml.model.tokens import tokenizer
tokenizer()
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    subprocess.run([sys.executable, "-c", LOAD_SNIPPET], check=True, capture_output=True)  # warm
    imports, loads, jieba_inits = [], [], []
    for _ in range(args.repeat):
        out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET], check=True,
                             capture_output=True, text=True).stdout.split()
        imports.append(float(out[0]))
        loads.append(float(out[1]))
        jieba_inits.append(float(out[2]))

    import renovml
    from renovml.model.artifact import shipped_model_path
    from renovml.model.tokens import tokenizer

    model = renovml.load()
    tok = tokenizer()
    sentences = [s.text for p in sorted(SEEDS.glob("*.txt"))
                 for s in renovml.Article.from_path(p).sentences]
    sentences = sentences * 10  # enough work to time
    model.predict_proba(sentences[:10])  # warm caches

    articles = [renovml.Article.from_path(p) for p in sorted(SEEDS.glob("*.txt"))] * 10
    predict_times, tag_times, jieba_times = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model.predict_proba(sentences)
        t1 = time.perf_counter()
        model.tag_many(articles, unit="sentence")
        t2 = time.perf_counter()
        for s in sentences:
            tok.lcut(s)
        t3 = time.perf_counter()
        predict_times.append(t1 - t0)
        tag_times.append(t2 - t1)
        jieba_times.append(t3 - t2)
    predict, tag, jieba_time = min(predict_times), min(tag_times), min(jieba_times)
    chars = sum(map(len, sentences))
    size = shipped_model_path().stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import renovml + sklearn    {min(imports):8.3f} s   (best of {args.repeat}, fresh process)")
    print(f"load()                      {min(loads):8.3f} s   (verify SHA-256 + unpickle)")
    print(f"load() + imports            {min(i + x for i, x in zip(imports, loads)):8.3f} s")
    print(f"jieba tokenizer init        {min(jieba_inits):8.3f} s   (on first predict; cache warm)")
    print(f"predict sentences           {len(sentences):8d}     ({chars / 1e6:.2f} M chars)")
    print(f"predict_proba(raw strings)  {len(sentences) / predict:8.0f} sentences/s "
          f"(each string cleaned first)")
    print(f"tag_many(clean articles)    {len(sentences) / tag:8.0f} sentences/s "
          f"(the path of tag() and the command line)")
    print(f"bare jieba lcut, same text  {jieba_time:8.3f} s   vs predict_proba {predict:.3f} s, "
          f"tag_many {tag:.3f} s")
    print(f"share in jieba              {jieba_time / predict:8.1%} of predict_proba, "
          f"{jieba_time / tag:.1%} of tag_many")
    print(f"artifact size               {size / 1e6:8.2f} MB")
    print(f"peak RSS                    {peak:8.0f} MB")


if __name__ == "__main__":
    main()
