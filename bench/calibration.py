"""Rater calibration on simulated communities with known design quality: how close the raw Bayesian ranking and the
calibrated one (app.challenges.ranking) come to the truth, as Kendall's tau.

    .venv/bin/python -m bench.calibration              # seeds 1-10 random choice, 11-12 skewed, 13 sparse; timing
    .venv/bin/python -m bench.calibration --seeds 3    # fewer random-choice seeds
    .venv/bin/python -m bench.calibration --database   # also the shortlist through SQLite (chorus generate)

Each community: 300 designs of true quality ~ N(0, 1); 2,000 raters, each rating 10 to 150 designs (uniform). A
rater has a harshness (bias ~ N(0, 0.8) score points) and a spread (scale, log-normal around 1: some use the whole
0-5 range, others stay within a point or two), and every score has noise N(0, 0.7) before it is rounded and clipped
to 0-5: ``round(2.5 + bias + scale * 0.9 * quality + noise)``. Random choice: each rater picks designs uniformly. Skewed
choice: harsh raters (bias < 0) pick good designs about three times as often as bad ones and soft raters the reverse,
which is where raw averages go most wrong. Sparse: 600 designs and 1,000 raters rating 10 to 30 each (about 33
scores a design instead of 500), choice at random. The timing runs the calibration on 3,000 designs and 50,000 scores;
with ``--database``, ``shortlist()`` and the refresh done at each pick on a generated closed challenge of that size.
"""

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from app.challenges.ranking import calibrate
from app.challenges.scores import bayesian_average

DESIGNS = 300
RATERS = 2000
PRIOR_WEIGHT = 5.0


def simulate(
    seed: int, *, skewed: bool, designs: int = DESIGNS, raters: int = RATERS, most: int = 150
) -> tuple[list[float], list[tuple[int, int, int]]]:
    """True qualities and (design, rater, score) triples of one community."""
    rng = random.Random(seed)
    quality = [rng.gauss(0, 1) for _ in range(designs)]
    by_quality = sorted(range(designs), key=quality.__getitem__)
    scores: list[tuple[int, int, int]] = []
    for rater in range(raters):
        bias, scale = rng.gauss(0, 0.8), math.exp(rng.gauss(0, 0.45))
        count = rng.randint(10, most)
        if skewed:
            # Rank-based preference: weight 3 at the top for a harsh rater, 3 at the bottom for a soft one.
            weights = [
                1 + 2 * (position / (designs - 1) if bias < 0 else 1 - position / (designs - 1))
                for position in range(designs)
            ]
            chosen: set[int] = set()
            while len(chosen) < count:
                chosen.update(rng.choices(by_quality, weights=weights, k=count - len(chosen)))
        else:
            chosen = set(rng.sample(range(designs), count))
        for design in chosen:
            value = round(2.5 + bias + scale * 0.9 * quality[design] + rng.gauss(0, 0.7))
            scores.append((design, rater, min(5, max(0, value))))
    return quality, scores


def raw_ranking(scores: list[tuple[int, int, int]], designs: int) -> list[float]:
    sums, counts = [0] * designs, [0] * designs
    for design, _, value in scores:
        sums[design] += value
        counts[design] += 1
    mean = sum(sums) / sum(counts)
    return [
        bayesian_average(score_sum=sums[d], score_count=counts[d], mean=mean, weight=PRIOR_WEIGHT)
        for d in range(designs)
    ]


def kendall_tau(truth: list[float], estimate: list[float]) -> float:
    """Kendall's tau-b between two score lists (O(n^2); fine for hundreds of designs)."""
    concordant = discordant = ties_truth = ties_estimate = 0
    n = len(truth)
    for i in range(n):
        for j in range(i + 1, n):
            a = truth[i] - truth[j]
            b = estimate[i] - estimate[j]
            if a == 0 and b == 0:
                continue
            if a == 0:
                ties_truth += 1
            elif b == 0:
                ties_estimate += 1
            elif (a > 0) == (b > 0):
                concordant += 1
            else:
                discordant += 1
    pairs_truth = concordant + discordant + ties_estimate
    pairs_estimate = concordant + discordant + ties_truth
    return (concordant - discordant) / math.sqrt(pairs_truth * pairs_estimate)


def top_overlap(truth: list[float], estimate: list[float], k: int = 10) -> int:
    """How many of the true top k the ranking puts in its top k (the designs a manager would look at)."""
    best = set(sorted(range(len(truth)), key=truth.__getitem__, reverse=True)[:k])
    picked = set(sorted(range(len(estimate)), key=estimate.__getitem__, reverse=True)[:k])
    return len(best & picked)


def run_seed(seed: int, *, skewed: bool, sparse: bool = False) -> dict[str, float]:
    designs = 600 if sparse else DESIGNS
    if sparse:
        quality, scores = simulate(seed, skewed=skewed, designs=designs, raters=1000, most=30)
    else:
        quality, scores = simulate(seed, skewed=skewed)
    raw = raw_ranking(scores, designs)
    started = time.process_time()
    calibration = calibrate(scores, prior_weight=PRIOR_WEIGHT)
    elapsed = time.process_time() - started
    adjusted = [calibration.adjusted.get(d, calibration.mean) for d in range(designs)]
    return {
        "scores": len(scores),
        "raw": kendall_tau(quality, raw),
        "calibrated": kendall_tau(quality, adjusted),
        "raw_top": top_overlap(quality, raw),
        "calibrated_top": top_overlap(quality, adjusted),
        "seconds": elapsed,
    }


def through_the_database(console: Console) -> None:
    """Time shortlist() and the refresh done at each pick on a generated closed challenge (3,000 designs, 50,000
    scores, 2,000 members) in a temporary SQLite database."""
    from sqlmodel import Session, select

    from app.challenges import scores as challenge_scores
    from app.challenges import winners as challenge_winners
    from app.challenges.models import Challenge
    from app.db import build_engine
    from bench.run import ROOT, server_environment

    with tempfile.TemporaryDirectory(prefix="chorus-bench-calibration-") as directory:
        environment = server_environment(Path(directory))
        generate = ["generate", "challenge", "--designs", "3000", "--scores", "50000", "--members", "2000"]
        for arguments in (["migrate"], [*generate, "--phase", "closed"]):
            subprocess.run(  # noqa: S603  (fixed arguments)
                [sys.executable, "-c", "from app.cli import main; main()", *arguments],
                cwd=ROOT,
                env=environment,
                check=True,
                capture_output=True,
                timeout=600,
            )
        os.environ["CHORUS_DATABASE_URL"] = environment["CHORUS_DATABASE_URL"]
        engine = build_engine(environment["CHORUS_DATABASE_URL"])
        with Session(engine) as session:
            challenge = session.exec(select(Challenge)).one()
            for name, work in (
                ("shortlist()", lambda: challenge_winners.shortlist(session, challenge=challenge)),
                ("refresh at a pick", lambda: challenge_scores.refresh_bayesian_scores(session, challenge=challenge)),
            ):
                timings = []
                for _ in range(3):
                    started, cpu = time.perf_counter(), time.process_time()
                    work()
                    timings.append((time.perf_counter() - started, time.process_time() - cpu))
                    session.rollback()
                wall, cpu_time = min(timings)
                console.print(f"Database: {name} took {wall:.2f} s ({cpu_time:.2f} s of CPU), best of 3")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="random-choice communities (seeds 1..N)")
    parser.add_argument("--database", action="store_true", help="also time the shortlist through SQLite")
    arguments = parser.parse_args()
    console = Console()
    table = Table(title="Kendall tau with the true quality (300 designs, 2,000 raters)")
    for name in (
        "seed",
        "choice",
        "scores",
        "raw tau",
        "calibrated tau",
        "gain",
        "top-10 raw",
        "top-10 cal.",
        "fit CPU s",
    ):
        table.add_column(name, justify="right")
    failures = []
    cases = [(seed, "random") for seed in range(1, arguments.seeds + 1)]
    cases += [(arguments.seeds + 1, "skewed"), (arguments.seeds + 2, "skewed"), (arguments.seeds + 3, "sparse")]
    for seed, choice in cases:
        result = run_seed(seed, skewed=choice == "skewed", sparse=choice == "sparse")
        gain = result["calibrated"] - result["raw"]
        if gain <= 0:
            failures.append(seed)
        table.add_row(
            str(seed),
            choice,
            f"{result['scores']:,}",
            f"{result['raw']:.3f}",
            f"{result['calibrated']:.3f}",
            f"{gain:+.3f}",
            f"{result['raw_top']}",
            f"{result['calibrated_top']}",
            f"{result['seconds']:.2f}",
        )
    console.print(table)
    _, scores = simulate(99, skewed=False, designs=3000, raters=2000, most=40)
    timings = []
    for _ in range(3):
        started = time.process_time()
        calibrate(scores, prior_weight=PRIOR_WEIGHT)
        timings.append(time.process_time() - started)
    console.print(
        f"Timing: calibrating 3,000 designs and {len(scores):,} scores took {min(timings):.2f} s of CPU (best of 3)"
    )
    if arguments.database:
        through_the_database(console)
    console.print("PASS: calibrated beats raw on every seed" if not failures else f"FAIL on seeds {failures}")
    if failures:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
