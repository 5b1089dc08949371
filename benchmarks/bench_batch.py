"""Batch throughput, scaling, memory and incremental re-runs of ``vnplan run``.

    python benchmarks/bench_batch.py                 # bulk corpus, 1 and 2 workers, and the 10k archive
    python benchmarks/bench_batch.py --quick         # bulk corpus only
    python benchmarks/bench_batch.py --record        # also rewrite the figures in docs/batch.md

Each scenario runs ``vnplan run`` as a subprocess on a fresh OUT (under /tmp) while a
sampler follows its whole process tree (main process, fork server, workers) for peak
memory: RSS summed over the tree (an upper bound: shared pages count once per process)
and PSS summed (shared pages divided among their users: the real footprint). Figures
are wall-clock, with every extractor that exists in the tree at the time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from make_archive import DEFAULT_CORPUS, ensure  # noqa: E402
from recording import record_block  # noqa: E402

DOC = REPO / "docs" / "batch.md"
BEGIN, END = "<!-- bench_batch:begin -->", "<!-- bench_batch:end -->"
VNPLAN = [sys.executable, "-m", "pipeline"]


class TreeSampler(threading.Thread):
    """Peak memory of a process and all its descendants: RSS every ``interval`` seconds,
    PSS every ``pss_every``-th sample.

    The main process's peak is kept apart for the processing phase and for ``finalize``
    (the corpus-level tables), which the run announces in its JSON log.

    Light on purpose: the sampler shares the machine's two cores with the run it measures.
    Reading PSS makes the kernel walk every page of every process (~2 ms per process); at
    every sample that took 0.2 CPU-s from a 3.5-second bulk run, which a one-worker run
    finds on its idle core but a two-worker run takes from its workers. RSS costs 0.02 ms.
    """

    def __init__(self, pid: int, log: Path, interval: float = 0.2, pss_every: int = 5):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.log, self.offset, self.finalizing = log, 0, False
        self.interval, self.pss_every = interval, max(1, pss_every)
        self.stop = threading.Event()
        self.peak_rss = self.peak_pss = self.peak_main = self.peak_worker = self.peak_main_finalize = 0
        self.cpu_seconds = 0.0  # what the sampling itself cost (this thread)
        self.pss_samples = 0
        self._procs = {pid: self.root}

    def _tree(self) -> list:
        """The root and its descendants, read from ``/proc/PID/task/TID/children`` (psutil's
        ``children`` reads every process's stat file on the machine: ~1.3 ms a sample)."""
        if not os.path.exists(f"/proc/{self.root.pid}/task"):
            try:
                return [self.root, *self.root.children(recursive=True)]  # not Linux
            except psutil.NoSuchProcess:
                return []
        pids, frontier = [], [self.root.pid]
        while frontier:
            pid = frontier.pop()
            pids.append(pid)
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        frontier += [int(c) for c in f.read().split()]
            except OSError:
                if pid == self.root.pid:
                    return []
        procs = []
        for pid in pids:
            p = self._procs.get(pid)
            if p is None:
                try:
                    p = self._procs[pid] = psutil.Process(pid)
                except psutil.NoSuchProcess:
                    continue
            procs.append(p)
        return procs

    def _phase(self) -> None:
        if self.finalizing or not self.log.exists():
            return
        with open(self.log, "rb") as f:
            f.seek(self.offset)
            new = f.read()
        self.offset += len(new)
        self.finalizing = b'"event": "finalize"' in new

    def run(self) -> None:
        tick = 0
        while not self.stop.is_set():
            c0 = time.thread_time()
            self._phase()
            procs = self._tree()
            if not procs:
                return
            with_pss = tick % self.pss_every == self.pss_every - 1  # not at the start: the tree is not there yet
            tick += 1
            rss = pss = 0
            for p in procs:
                try:
                    m = p.memory_full_info() if with_pss else p.memory_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss += m.rss
                pss += m.pss if with_pss else 0
                if p.pid == self.root.pid and self.finalizing:
                    self.peak_main_finalize = max(self.peak_main_finalize, m.rss)
                elif p.pid == self.root.pid:
                    self.peak_main = max(self.peak_main, m.rss)
                else:
                    self.peak_worker = max(self.peak_worker, m.rss)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.pss_samples += with_pss
            self.cpu_seconds += time.thread_time() - c0
            self.stop.wait(self.interval)


def steal_seconds() -> float | None:
    """CPU time the hypervisor has given to other virtual machines since boot, summed over
    this machine's cores (``/proc/stat``): when it grows during a run, the run was slowed by
    its neighbours, not by itself."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_once(inputs: list[str], out: Path, workers: int, extra: list[str] = ()) -> dict:
    """One ``vnplan run``: wall time, the run's own summary (from its JSON log), peak memory."""
    log = out.parent / f"{out.name}.jsonl"
    log.unlink(missing_ok=True)
    cmd = [*VNPLAN, "run", *inputs, "--out", str(out), "--workers", str(workers), "--no-progress",
           "--log-json", str(log), *extra]
    load_before = os.getloadavg()[0]
    steal_before = steal_seconds()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid, log)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    steal_after = steal_seconds()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the run and every process under it
    tree_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    summary = events[-1]
    busy = sum(e["seconds"] for e in events if e["event"] == "document")
    mb = summary["bytes"] / 1e6
    processing = summary["seconds"] - summary.get("finalize_seconds", 0.0)
    worked = summary["processed"] + summary["failed"]
    return {
        "workers": workers, "wall_s": round(wall, 2), "run_s": round(summary["seconds"], 2),
        "docs": worked, "skipped": summary["skipped"], "failed": summary["failed"], "MB": round(mb, 1),
        # processing alone: without interpreter start-up and imports, and without finalize
        "processing_s": round(processing, 2),
        # share of the workers' time spent inside documents: low = the engine starves them;
        # high while throughput lags = the CPU was shared with other processes
        "worker_utilization": round(busy / (processing * workers), 2) if worked and processing > 0 else None,
        "docs_per_s": round(worked / wall, 1), "MB_per_s": round(mb / wall, 2),
        "MB_per_s_per_worker": round(mb / wall / workers, 2),
        "peak_rss_tree_MB": round(sampler.peak_rss / 1e6),
        "peak_pss_tree_MB": round(sampler.peak_pss / 1e6) if sampler.pss_samples else None,  # None: too short
        "peak_rss_main_MB": round(sampler.peak_main / 1e6), "peak_rss_worker_MB": round(sampler.peak_worker / 1e6),
        "peak_rss_main_finalize_MB": round(sampler.peak_main_finalize / 1e6),
        "finalize_s": round(summary.get("finalize_seconds", 0.0), 2),
        # CPU seconds: the main process during the run (planning, reading archives, writing
        # Parquet) and everything else (interpreter start-up, fork server, workers: the pipeline)
        "cpu_main_s": round(summary.get("main_cpu_seconds", 0.0), 1),
        "cpu_workers_s": round(tree_cpu - summary.get("main_cpu_seconds", 0.0), 1),
        # other processes' load on the machine (a shared machine makes figures noisy)
        "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
        "steal_s": None if steal_before is None or steal_after is None else round(steal_after - steal_before, 2),
        "sampler_cpu_s": round(sampler.cpu_seconds, 3),
    }


def host_speed() -> float:
    """Seconds a fixed pure-Python loop takes now: this machine's speed moves by up to 40 %
    from hour to hour (it shares its host), so figures are only comparable at equal speed."""
    t = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - t, 2)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
    return {
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "ram_GB": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
        "commit": commit.strip(), "date": dt.date.today().isoformat(), "loop_s": host_speed(),
    }


def best_of_alternating(repeat: int, inputs: list[str], work: Path, name: str = "bulk",
                        steals: list | None = None) -> tuple[dict, dict, list]:
    """The fastest of ``repeat`` runs with 1 worker and with 2, taken in turns (1, 2, 1, 2, ...)
    so that a change in the shared host's speed weighs on both alike; also every round's pair
    of wall times (and, into ``steals``, of host steal seconds). The last 2-worker OUT is left
    for the unchanged re-run."""
    best: dict = {1: None, 2: None}
    rounds = []
    for i in range(repeat):
        walls, stolen = [], []
        for workers in (1, 2):
            out = work / f"{name}{workers}"
            shutil.rmtree(out, ignore_errors=True)
            r = run_once(inputs, out, workers)
            walls.append(r["wall_s"])
            stolen.append(r["steal_s"])
            if best[workers] is None or r["wall_s"] < best[workers]["wall_s"]:
                best[workers] = r
        rounds.append(walls)
        if steals is not None:
            steals.append(stolen)
    for r in best.values():
        r["repeats"] = repeat
    return best[1], best[2], rounds


def bench(quick: bool = False, corpus: Path = DEFAULT_CORPUS, archive_docs: int = 10_000, repeat: int = 3,
          archive_repeat: int = 2) -> dict:
    work = Path(tempfile.mkdtemp(prefix="vnplan-bench-"))
    res: dict = {"machine": machine(), "corpus": str(corpus), "runs": {}}
    try:
        runs = res["runs"]
        res["bulk_steal"] = []
        b1, b2, res["bulk_rounds"] = best_of_alternating(repeat, [str(corpus)], work, steals=res["bulk_steal"])
        runs["bulk, 1 worker"], runs["bulk, 2 workers"] = b1, b2
        runs["bulk, unchanged re-run"] = again = run_once([str(corpus)], work / "bulk2", 2)
        res["speedup_2_vs_1"] = round(b1["wall_s"] / b2["wall_s"], 2)
        res["processing_speedup_2_vs_1"] = round(b1["processing_s"] / b2["processing_s"], 2)
        res["rerun_fraction"] = round(again["wall_s"] / b2["wall_s"], 3)
        if not quick:
            arc = ensure(archive_docs, "zip", corpus)
            res["archive"] = f"{arc} ({arc.stat().st_size / 1e6:.0f} MB zip, {archive_docs} documents)"
            a1, a, res["archive_rounds"] = best_of_alternating(archive_repeat, [str(arc)], work, "arc")
            shutil.rmtree(work / "arc1", ignore_errors=True)
            runs[f"{archive_docs // 1000}k archive, 1 worker"], runs[f"{archive_docs // 1000}k archive, 2 workers"] = a1, a
            res["archive_speedup_2_vs_1"] = round(a1["wall_s"] / a["wall_s"], 2)
            res["archive_processing_speedup_2_vs_1"] = round(a1["processing_s"] / a["processing_s"], 2)
            runs[f"{archive_docs // 1000}k archive, unchanged re-run"] = r = run_once([str(arc)], work / "arc2", 2)
            res["archive_rerun_fraction"] = round(r["wall_s"] / a["wall_s"], 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["loop_after_s"] = host_speed()
    return res


def _rounds(rounds: list) -> str:
    """Every round's pair, then the median of their ratios (the host's speed moves between rounds).

    >>> _rounds([(6.0, 3.0), (6.0, 4.0), (7.0, 4.0)])
    '6 / 3 s (2.00x), 6 / 4 s (1.50x), 7 / 4 s (1.75x); median 1.75x'
    """
    ratios = [w1 / w2 for w1, w2 in rounds]
    return ", ".join(f"{w1:g} / {w2:g} s ({w1 / w2:.2f}x)" for w1, w2 in rounds) \
        + (f"; median {statistics.median(ratios):.2f}x" if len(ratios) > 1 else "")


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Measured {m['date']} at commit `{m['commit']}` on {m['cores']} cores ({m['cpu']}), {m['ram_GB']} GB RAM, "
        f"Python {m['python']}, {m['os']}; host speed: a 10-million-step Python loop took {m.get('loop_s', '?')} s "
        f"before and {res.get('loop_after_s', '?')} s after (lower is faster).",
        "",
        "| run | workers | docs | MB | wall s (processing s, finalize s) | docs/s | MB/s | MB/s per worker | "
        "worker utilization | CPU s main / workers | peak RSS tree MB | "
        "peak PSS tree MB | peak RSS main: processing / finalize MB | peak RSS worker MB | load avg before/after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in res["runs"].items():
        docs = f"{r['docs']}" + (f" (+{r['skipped']} skipped)" if r["skipped"] else "")
        lines.append(f"| {name} | {r['workers']} | {docs} | {r['MB']} | "
                     f"{r['wall_s']} ({r['processing_s']}, {r['finalize_s']}) | "
                     f"{r['docs_per_s']} | {r['MB_per_s']} | {r['MB_per_s_per_worker']} | "
                     f"{'' if r['worker_utilization'] is None else r['worker_utilization']} | "
                     f"{r.get('cpu_main_s', '')} / {r.get('cpu_workers_s', '')} | {r['peak_rss_tree_MB']} | "
                     f"{'—' if r['peak_pss_tree_MB'] is None else r['peak_pss_tree_MB']} | {r['peak_rss_main_MB']} / {r['peak_rss_main_finalize_MB']} | "
                     f"{r['peak_rss_worker_MB']} | {r['load_before']} / {r['load_after']} |")
    lines += ["", f"- 2 workers vs 1: **{res['speedup_2_vs_1']}x** wall-clock, "
              f"**{res['processing_speedup_2_vs_1']}x** processing alone (bulk: best of {b_rep(res)} runs each)",
              f"- unchanged re-run of the bulk corpus: **{res['rerun_fraction'] * 100:.1f} %** of the first run"]
    if "bulk_rounds" in res:
        lines.append(f"- bulk, each round's 1 worker / 2 workers: {_rounds(res['bulk_rounds'])}")
    if any(x is not None for pair in res.get("bulk_steal", []) for x in pair):
        lines.append("- bulk, host steal time in each round (CPU seconds the hypervisor gave other machines "
                     "during the run), 1 worker / 2 workers: "
                     + ", ".join(f"{a} / {b}" for a, b in res["bulk_steal"]))
    sampled = [r["sampler_cpu_s"] for r in res["runs"].values() if r.get("sampler_cpu_s") is not None]
    if sampled:
        lines.append(f"- the memory sampler's own CPU per run: {min(sampled):g}-{max(sampled):g} s (RSS every "
                     "0.2 s, PSS every second)")
    if "archive_speedup_2_vs_1" in res:
        n = len(res.get("archive_rounds", [None]))
        lines.append(f"- archive, 2 workers vs 1: **{res['archive_speedup_2_vs_1']}x** wall-clock, "
                     f"**{res['archive_processing_speedup_2_vs_1']}x** processing alone "
                     f"({'best of ' + str(n) + ' runs each, in turns' if n > 1 else 'one run each'})")
    if "archive_rounds" in res:
        lines.append(f"- archive, each round's 1 worker / 2 workers: {_rounds(res['archive_rounds'])}")
    if "archive_rerun_fraction" in res:
        lines.append(f"- unchanged re-run of the archive: **{res['archive_rerun_fraction'] * 100:.1f} %** "
                     "of the first run")
        lines.append(f"- archive: {res['archive']}")
    return "\n".join(lines)


def b_rep(res: dict) -> int:
    return res["runs"]["bulk, 2 workers"].get("repeats", 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="bulk corpus only (no 10k archive)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--archive-docs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each bulk scenario; the fastest counts")
    ap.add_argument("--archive-repeat", type=int, default=2, help="runs of each archive scenario; the fastest counts")
    ap.add_argument("--record", action="store_true", help=f"write the figures into {DOC.relative_to(REPO)}")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"bench_batch: corpus {args.corpus} not found; skipped", file=sys.stderr)
        return 0
    res = bench(args.quick, args.corpus, args.archive_docs, args.repeat, args.archive_repeat)
    md = markdown(res)
    print(md)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    if args.record:
        record_block(DOC, BEGIN, END, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
