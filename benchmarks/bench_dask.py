"""Dask benchmark: a 2-worker LocalCluster against `renovml predict --jobs 2`, same files.

    python benchmarks/bench_dask.py [--mb 20] [--workers 2] [--rounds 1]

Builds at least --mb megabytes of article-like text, one article a file (as
bench_batch.py does), then prints, side by side:

- wall time and throughput of ``renovml predict DIR -o OUT --jobs 2`` and of
  ``renovml.dask.predict_partitioned(DIR, OUT, scheduler="local:2")``, each in a fresh
  process and counting everything (start-up, cluster start, model loads), with their
  ratio; and the same for the work alone (the CLI's start-up on one small file taken off,
  the cluster's start taken off);
- whether the partitions concatenated are byte for byte the CLI's output;
- each worker's RSS over the run (sampled every 0.2 s): at start, at a quarter, half and
  three quarters of the partitions, at the end, and its peak;
- per-core throughput (input bytes over the seconds workers spent in partitions) and the
  cost of one partition (tiny partitions against the default ones);
- a paper estimate of the wall time of ten million articles on 64 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import _measure, _predict, build_corpus  # noqa: E402

DASK_RUN = """
import json, os, sys, threading, time
t0 = time.perf_counter()
import psutil
from dask.distributed import Client
from renovml.dask import local_cluster, predict_partitioned

if __name__ == "__main__":
    inputs, out, workers, blocksize = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    cluster = local_cluster(workers)
    client = Client(cluster)
    pids = list(client.run(os.getpid).values())
    ready = time.perf_counter()
    samples, progress, stop = {p: [] for p in pids}, [0], threading.Event()

    def sample():
        while not stop.is_set():
            for p in pids:
                try:
                    samples[p].append((progress[0], psutil.Process(p).memory_info().rss / 2**20))
                except psutil.Error:
                    pass
            stop.wait(0.2)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    entries = []

    def seen(entry):
        entries.append(entry)
        progress[0] = len(entries)

    report = predict_partitioned([inputs], out, scheduler=client, on_partition=seen,
                                 blocksize=None if blocksize == "auto" else int(blocksize))
    done = time.perf_counter()
    stop.set()
    watcher.join()
    client.close()
    cluster.close()
    print(json.dumps({"wall": time.perf_counter() - t0, "startup": ready - t0,
                      "work": done - ready, "partitions": report["partitions"],
                      "task_seconds": sum(e["seconds"] for e in entries),
                      "samples": {str(p): s for p, s in samples.items()}}))
"""


def _dask(inputs: Path, out: Path, workers: int, blocksize: str) -> dict:
    done = subprocess.run([sys.executable, "-c", DASK_RUN, str(inputs), str(out), str(workers),
                           blocksize], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the Dask run failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _concatenated(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(out.glob("part-*.jsonl")))


def _memory(samples: dict, partitions: int) -> list[str]:
    """Per worker: RSS (MB) at start, at 1/4, 1/2, 3/4 of the partitions, at the end; peak."""
    lines = []
    for i, series in enumerate(samples.values()):
        at = []
        for quarter in (0, 1, 2, 3):
            after = [rss for done, rss in series if done >= quarter * partitions / 4]
            at.append(after[0] if after else float("nan"))
        at.append(series[-1][1])
        peak = max(rss for _, rss in series)
        lines.append(f"  worker {i}: RSS at 0, 1/4, 1/2, 3/4, end of the partitions "
                     f"{', '.join(f'{x:.0f}' for x in at)} MB; peak {peak:.0f} MB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        paths = build_corpus(tmp / "in", int(args.mb * 1e6))
        nbytes = sum(p.stat().st_size for p in paths)
        mb = nbytes / 1e6
        one = tmp / "one.txt"
        one.write_text(paths[0].read_text(encoding="utf-8")[:1700], encoding="utf-8")
        rounds = []
        for r in range(args.rounds):
            cli_wall, cli_peak = _predict(tmp / "in", tmp / f"cli-{r}.jsonl", "--jobs",
                                          str(args.workers))
            cli_start = min(_predict(one, tmp / "one.jsonl", "--jobs", "1")[0] for _ in range(3))
            run = _dask(tmp / "in", tmp / f"dask-{r}", args.workers, "auto")
            same = _concatenated(tmp / f"dask-{r}") == (tmp / f"cli-{r}.jsonl").read_bytes()
            # tiny partitions: the difference in wall time is what partitions cost
            tiny_size = max(4096, nbytes // 400)
            tiny = _dask(tmp / "in", tmp / f"tiny-{r}", args.workers, str(tiny_size))
            rounds.append({"cli_wall": cli_wall, "cli_peak": cli_peak, "cli_start": cli_start,
                           "run": run, "same": same, "tiny": tiny})
        python_start = _measure([sys.executable, "-c", "pass"])[0]

    def median(values):
        values = sorted(values)
        return values[len(values) // 2]

    cli_wall = median([r["cli_wall"] for r in rounds])
    cli_work = median([r["cli_wall"] - r["cli_start"] for r in rounds])
    cli_start = median([r["cli_start"] for r in rounds])
    run = sorted((r["run"] for r in rounds), key=lambda x: x["wall"])[len(rounds) // 2]
    tiny = sorted((r["tiny"] for r in rounds), key=lambda x: x["wall"])[len(rounds) // 2]
    w = args.workers
    print(f"input: {mb:.2f} MB of article-like text in {len(paths)} files "
          f"({nbytes / len(paths) / 1e3:.1f} KB an article); {w} workers; {len(rounds)} round(s); "
          f"partitions concatenated == CLI output: {all(r['same'] for r in rounds)}")
    print(f"{'run':<52}{'seconds':>9}{'MB/s':>8}{'ratio':>8}")
    rows = [(f"renovml predict --jobs {w} (whole process)", cli_wall, 1.0),
            (f"Dask LocalCluster({w}), {run['partitions']} partitions (whole process)",
             run["wall"], cli_wall / run["wall"]),
            (f"renovml predict --jobs {w} (work: start-up {cli_start:.1f} s off)",
             cli_work, 1.0),
            (f"Dask LocalCluster({w}) (work: cluster start {run['startup']:.1f} s off)",
             run["work"], cli_work / run["work"])]
    for label, secs, ratio in rows:
        print(f"{label:<52}{secs:9.2f}{mb / secs:8.2f}{ratio:8.2f}")
    print(f"memory: CLI peak RSS of one process {median([r['cli_peak'] for r in rounds]):.0f} MB;"
          " Dask workers:")
    for line in _memory(run["samples"], run["partitions"]):
        print(line)
    per_core = mb / run["task_seconds"]
    overhead = ((tiny["work"] - run["work"]) * w / (tiny["partitions"] - run["partitions"])
                if tiny["partitions"] > run["partitions"] else float("nan"))
    idle = (run["work"] * w - run["task_seconds"]) / run["partitions"]
    print(f"per-core throughput: {per_core:.2f} MB/s ({mb:.1f} MB over {run['task_seconds']:.1f} "
          "worker-seconds in partitions)")
    print(f"partition overhead: {overhead * 1000:.0f} ms a partition ({tiny['partitions']} tiny "
          f"partitions {tiny['work']:.2f} s against {run['partitions']} {run['work']:.2f} s); "
          f"worker time outside partitions, default run: {idle * 1000:.0f} ms a partition")
    # Paper estimate: the same articles, ten million of them, 64 one-thread workers.
    articles, cores = 10_000_000, 64
    total_mb = articles * nbytes / len(paths) / 1e6
    partition_mb = 8 * 2**20 / 1e6  # DEFAULT_BLOCKSIZE: what a big run gets
    n_parts = total_mb / partition_mb
    compute = total_mb / per_core / cores
    parts_cost = n_parts * max(overhead, 0) / cores
    print(f"paper estimate, {articles:,} articles ({total_mb / 1e3:.1f} GB) on {cores} cores: "
          f"{total_mb:,.0f} MB / ({per_core:.2f} MB/s x {cores}) = {compute / 3600:.2f} h of "
          f"tagging + {n_parts:,.0f} partitions x {overhead * 1000:.0f} ms / {cores} = "
          f"{parts_cost / 60:.1f} min + start-up {run['startup']:.0f} s: about "
          f"{(compute + parts_cost + run['startup']) / 3600:.2f} h, if the file system "
          f"reads {cores * per_core:.0f} MB/s and writes as much again")
    print(json.dumps({"mb": round(mb, 2), "workers": w, "identical": all(r["same"] for r in rounds),
                      "ratio_whole": round(cli_wall / run["wall"], 3),
                      "ratio_work": round(cli_work / run["work"], 3),
                      "per_core_mb_s": round(per_core, 3),
                      "partition_overhead_ms": round(overhead * 1000, 1),
                      "estimate_hours_10M_64_cores": round((compute + parts_cost + run["startup"])
                                                           / 3600, 2),
                      "python_start_s": round(python_start, 3)}))


if __name__ == "__main__":
    main()
