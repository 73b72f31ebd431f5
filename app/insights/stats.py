"""The statistics behind every figure: proportions with Wilson intervals, NPS with its interval, quartiles and
histograms of numbers, and keywords and phrases of free text.

Pure functions on counts, so the pages, the JSON API and the exports show the same numbers; what is hidden follows
``app.insights.suppression``.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from app.i18n import _
from app.i18n.formatting import format_number
from app.insights.suppression import K_ANONYMITY, is_suppressed, share_hidden, shown, suppress_partition

# 95 % confidence.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``total``, with its share and 95 % Wilson score interval (0-1); all None when suppressed."""

    count: int | None
    total: int | None
    share: float | None
    low: float | None
    high: float | None
    suppressed: bool = False


def wilson_interval(successes: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion: sensible at 0 %, 100 % and small totals, unlike the normal one."""
    if total <= 0:
        raise ValueError("a proportion needs a positive total")
    if not 0 <= successes <= total:
        raise ValueError("successes must lie between 0 and the total")
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # At 0 % and 100 % the bound is exact; rounding must not leave the share outside its own interval.
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - margin))
    high = 1.0 if successes == total else min(1.0, max(p, centre + margin))
    return low, high


def proportion(count: int, total: int, *, hidden: bool = False) -> Proportion:
    """A share of ``total`` with its interval; suppressed by the rule (``share_hidden``: a count, total or
    complement of 1-4), or when ``hidden`` (a cell hidden beside another, see ``suppress_partition``)."""
    if hidden or share_hidden(count, total):
        shown_total = None if is_suppressed(total) else total
        return Proportion(count=None, total=shown_total, share=None, low=None, high=None, suppressed=True)
    if total == 0:
        return Proportion(count=0, total=0, share=None, low=None, high=None)
    low, high = wilson_interval(count, total)
    return Proportion(count=count, total=total, share=count / total, low=low, high=high)


@dataclass(frozen=True)
class NetPromoterScore:
    """NPS from 0-10 answers: promoters (9-10) minus detractors (0-6), in points from -100 to 100.

    The interval is the normal approximation for a difference of two shares of one multinomial sample:
    var = (p + d - (p - d)^2) / n. The three groups partition the answers: a group of 1-4 is hidden with the
    next smallest (``suppress_partition``), and the score and interval with them, as they would give those groups
    away; all are None when fewer than 5 answered (``suppressed``) or nobody did.
    """

    detractors: int | None
    passives: int | None
    promoters: int | None
    score: float | None
    low: float | None
    high: float | None
    suppressed: bool = False
    answered: int = 0

    @property
    def total(self) -> int:
        return self.answered

    @property
    def groups_hidden(self) -> bool:
        """Whether a group is hidden (and so the score) although enough answered."""
        return not self.suppressed and self.answered > 0 and self.score is None


def net_promoter_score(counts: dict[int, int]) -> NetPromoterScore:
    """NPS of the answers counted per value 0-10 (other keys are ignored)."""
    detractors = sum(count for value, count in counts.items() if 0 <= value <= 6)
    passives = sum(count for value, count in counts.items() if value in (7, 8))
    promoters = sum(count for value, count in counts.items() if value in (9, 10))
    total = detractors + passives + promoters
    if is_suppressed(total):
        return NetPromoterScore(None, None, None, None, None, None, suppressed=True, answered=total)
    if total == 0:
        return NetPromoterScore(0, 0, 0, None, None, None)
    shown = suppress_partition([detractors, passives, promoters])
    if None in shown:
        hidden_detractors, hidden_passives, hidden_promoters = shown
        return NetPromoterScore(hidden_detractors, hidden_passives, hidden_promoters, None, None, None, answered=total)
    p, d = promoters / total, detractors / total
    score = p - d
    margin = Z_95 * math.sqrt(max(0.0, p + d - score * score) / total)
    return NetPromoterScore(
        detractors=detractors,
        passives=passives,
        promoters=promoters,
        score=100 * score,
        low=100 * max(-1.0, score - margin),
        high=100 * min(1.0, score + margin),
        answered=total,
    )


@dataclass(frozen=True)
class Summary:
    """Count, mean and quartiles of numbers (what people would pay, how many they told); all None below 5."""

    count: int | None
    mean: float | None
    median: float | None
    low_quartile: float | None
    high_quartile: float | None


def _quantile(ordered: Sequence[float], q: float) -> float:
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def summarise(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if is_suppressed(len(ordered)) or not ordered:
        return Summary(count=shown(len(ordered)), mean=None, median=None, low_quartile=None, high_quartile=None)
    return Summary(
        count=len(ordered),
        mean=sum(ordered) / len(ordered),
        median=_quantile(ordered, 0.5),
        low_quartile=_quantile(ordered, 0.25),
        high_quartile=_quantile(ordered, 0.75),
    )


def summarise_counts(pairs: Iterable[tuple[float, int]]) -> Summary:
    """As ``summarise``, from (value, how many gave it) pairs, such as a number question's tallies."""
    ordered = sorted((value, count) for value, count in pairs if count > 0)
    total = sum(count for _, count in ordered)
    if is_suppressed(total) or not total:
        return Summary(count=shown(total), mean=None, median=None, low_quartile=None, high_quartile=None)

    def nth(position: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if position < seen:
                return value
        return ordered[-1][0]

    def quantile(q: float) -> float:
        position = (total - 1) * q
        below = math.floor(position)
        return nth(below) + (nth(min(below + 1, total - 1)) - nth(below)) * (position - below)

    return Summary(
        count=total,
        mean=sum(value * count for value, count in ordered) / total,
        median=quantile(0.5),
        low_quartile=quantile(0.25),
        high_quartile=quantile(0.75),
    )


# --- Histograms of numbers ----------------------------------------------------------------------------------

MIN_BINS, MAX_BINS = 5, 15
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class HistogramBin:
    """Answers from ``low`` up to (not including) ``high``; an open end (None) gathers the tail beyond the next
    edge. ``count`` is None when hidden (``suppress_partition``)."""

    label: str
    low: float | None
    high: float | None
    count: int | None


def nice_width(span: float, bins: int) -> float:
    """The smallest round bin width (1, 2, 2.5 or 5 times a power of ten) that covers ``span`` in ``bins`` bins."""
    raw = span / bins if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(step * power for step in NICE_STEPS if step * power >= raw * (1 - 1e-9))


def _width(ordered: Sequence[tuple[float, int]], total: int) -> float:
    """Freedman-Diaconis (twice the interquartile range over the cube root of the answers), rounded up to a nice
    width, and widened when the answers' whole range would need fewer than 5 bins of it."""
    span = ordered[-1][0] - ordered[0][0]
    summary = summarise_counts(ordered)
    iqr = (summary.high_quartile or 0) - (summary.low_quartile or 0)
    widest = nice_width(span, MIN_BINS)
    if iqr <= 0:
        return widest
    return min(widest, nice_width(2 * iqr / total ** (1 / 3), 1))


def _busiest(counts: Sequence[int], size: int) -> int:
    """Where the ``size`` neighbouring bins holding the most answers start (of equals, the one best centred on the
    answers' mean bin)."""
    centre = sum(index * count for index, count in enumerate(counts)) / (sum(counts) or 1)
    return max(
        range(len(counts) - size + 1),
        key=lambda first: (sum(counts[first : first + size]), -abs(first + (size - 1) / 2 - centre)),
    )


def _label(low: float | None, high: float | None, whole: bool) -> str:
    def shown_edge(value: float) -> str:
        return format_number(value)

    if low is None and high is None:
        return _("all answers")
    if low is None and high is not None:
        return _("under %(high)s", high=shown_edge(high))
    if high is None and low is not None:
        return _("%(low)s or more", low=shown_edge(low))
    assert low is not None and high is not None
    if whole and high - low == 1:
        return shown_edge(low)
    # Whole answers in whole-width bins read as the answers they hold: 10-14, not 10-15; others say where they end.
    if whole:
        return f"{shown_edge(low)}\u2013{shown_edge(high - 1)}"
    return _("%(low)s to under %(high)s", low=shown_edge(low), high=shown_edge(high))


def number_histogram(pairs: Iterable[tuple[float, int]]) -> list[HistogramBin]:
    """The bins of a number question's answers ((value, how many) pairs): 5-15 bins of a round width
    (Freedman-Diaconis, rounded up to a nice width), the tails of fewer than 5 gathered into open-ended bins
    ("under 10", "40 or more"), and any other bin of 1-4 hidden by the one rule (``suppress_partition``).
    Empty below 5 answers."""
    ordered = sorted((value, count) for value, count in pairs if count > 0)
    total = sum(count for _, count in ordered)
    if total < K_ANONYMITY:
        return []
    low, high = ordered[0][0], ordered[-1][0]
    width = _width(ordered, total)
    start = math.floor(low / width) * width
    size = math.floor((high - start) / width) + 1
    counts = [0] * size
    for value, count in ordered:
        counts[min(int((value - start) // width), size - 1)] += count
    bins: list[list[float | None]] = [[start + index * width, start + (index + 1) * width] for index in range(size)]
    if size > MAX_BINS:  # a few far answers: the busiest bins, the rest in open-ended tails
        first = max(0, min(_busiest(counts, MAX_BINS - 2) - 1, size - MAX_BINS))
        last = first + MAX_BINS - 1
        counts = [sum(counts[: first + 1]), *counts[first + 1 : last], sum(counts[last:])]
        bins = bins[first : last + 1]
        if first > 0:
            bins[0][0] = None
        if last < size - 1:
            bins[-1][1] = None
    # Gather small tails into open-ended bins, so an extreme answer is never drawn alone.
    while len(counts) > 1 and is_suppressed(counts[0]):
        gathered = counts.pop(0)
        counts[0] += gathered
        bins.pop(0)
        bins[0][0] = None
    while len(counts) > 1 and is_suppressed(counts[-1]):
        gathered = counts.pop()
        counts[-1] += gathered
        bins.pop()
        bins[-1][1] = None
    whole = width.is_integer() and all(float(value).is_integer() for value, _ in ordered)
    cells = suppress_partition(counts)
    return [
        HistogramBin(label=_label(lo, hi, whole), low=lo, high=hi, count=cell)
        for (lo, hi), cell in zip(bins, cells, strict=True)
    ]


# --- Free text --------------------------------------------------------------------------------------------------

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "like",
        "me",
        "more",
        "most",
        "much",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "bit",
        "lot",
        "one",
        "quite",
        "still",
        "thing",
        "things",
        "think",
        "though",
        "well",
        "yes",
    ]
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def words_of(text: str) -> list[str]:
    """Lower-case words of a text, apostrophes kept inside words ("don't")."""
    return [word.replace("\u2019", "'") for word in _WORD.findall(text.lower().replace("\u2019", "'"))]


@dataclass(frozen=True)
class Keyword:
    """A word or two-word phrase, the number of answers that use it, and a few of those answers."""

    phrase: str
    answers: int
    examples: list[str] = field(default_factory=list)


def keywords(texts: Sequence[str], *, limit: int = 10, examples: int = 3) -> list[Keyword]:
    """The most frequent content words and two-word phrases, counted once per answer.

    A phrase is two neighbouring words, neither a stop word. Phrases used by at least two answers come first, as
    they say more than single words; a word is left out when a listed phrase accounts for all its answers.
    """
    word_answers: Counter[str] = Counter()
    phrase_answers: Counter[str] = Counter()
    for text in texts:
        tokens = words_of(text)
        content = [token for token in tokens if token not in STOP_WORDS and len(token) > 1]
        word_answers.update(set(content))
        pairs = {
            f"{first} {second}"
            for first, second in pairwise(tokens)
            if first not in STOP_WORDS and second not in STOP_WORDS and len(first) > 1 and len(second) > 1
        }
        phrase_answers.update(pairs)
    ranked: list[tuple[str, int]] = [(phrase, n) for phrase, n in phrase_answers.most_common() if n >= 2][:limit]
    covered = {word: n for phrase, n in ranked for word in phrase.split(" ")}
    for word, n in word_answers.most_common():
        if len(ranked) >= 2 * limit:
            break
        if covered.get(word, 0) < n:
            ranked.append((word, n))
    ranked.sort(key=lambda item: (-item[1], -item[0].count(" "), item[0]))
    chosen = ranked[:limit]
    found: list[Keyword] = []
    for phrase, n in chosen:
        pattern = re.compile(r"\b" + re.escape(phrase).replace(r"\ ", r"\W+") + r"\b", re.IGNORECASE)
        shown: list[str] = []
        seen: set[str] = set()
        for text in texts:  # distinct examples: many people give the same short answer
            key = " ".join(text.lower().split())
            if key not in seen and pattern.search(text.replace("\u2019", "'")):
                seen.add(key)
                shown.append(text)
                if len(shown) == examples:
                    break
        found.append(Keyword(phrase=phrase, answers=n, examples=shown))
    return found
