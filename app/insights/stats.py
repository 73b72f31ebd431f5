"""The statistics behind every figure: proportions with Wilson intervals, NPS with its interval, the k-anonymity
threshold, and keywords and phrases of free text.

Pure functions on counts, so the pages, the JSON API and the exports show the same numbers.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

# A segment (a group of respondents, a cohort, a design's scorers) smaller than this is never shown: its counts
# could single people out. Figures show "fewer than 5" instead.
K_ANONYMITY = 5
SUPPRESSED_LABEL = f"fewer than {K_ANONYMITY}"
# 95 % confidence.
Z_95 = 1.959963984540054


def is_suppressed(respondents: int) -> bool:
    """Whether a segment of this many respondents is too small to show (k-anonymity); an empty one is not secret."""
    return 0 < respondents < K_ANONYMITY


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


def proportion(count: int, total: int) -> Proportion:
    """A share of ``total`` with its interval; suppressed when ``total`` is a segment below the threshold."""
    if is_suppressed(total):
        return Proportion(count=None, total=None, share=None, low=None, high=None, suppressed=True)
    if total == 0:
        return Proportion(count=0, total=0, share=None, low=None, high=None)
    low, high = wilson_interval(count, total)
    return Proportion(count=count, total=total, share=count / total, low=low, high=high)


@dataclass(frozen=True)
class NetPromoterScore:
    """NPS from 0-10 answers: promoters (9-10) minus detractors (0-6), in points from -100 to 100.

    The interval is the normal approximation for a difference of two shares of one multinomial sample:
    var = (p + d - (p - d)^2) / n. ``score`` and the interval are None when the segment is suppressed or empty.
    """

    detractors: int
    passives: int
    promoters: int
    score: float | None
    low: float | None
    high: float | None
    suppressed: bool = False

    @property
    def total(self) -> int:
        return self.detractors + self.passives + self.promoters


def net_promoter_score(counts: dict[int, int]) -> NetPromoterScore:
    """NPS of the answers counted per value 0-10 (other keys are ignored)."""
    detractors = sum(count for value, count in counts.items() if 0 <= value <= 6)
    passives = sum(count for value, count in counts.items() if value in (7, 8))
    promoters = sum(count for value, count in counts.items() if value in (9, 10))
    total = detractors + passives + promoters
    if is_suppressed(total):
        return NetPromoterScore(0, 0, 0, None, None, None, suppressed=True)
    if total == 0:
        return NetPromoterScore(0, 0, 0, None, None, None)
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
    )


@dataclass(frozen=True)
class Summary:
    """Count, mean and quartiles of numbers (what people would pay, how many they told)."""

    count: int
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
        return Summary(count=len(ordered), mean=None, median=None, low_quartile=None, high_quartile=None)
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
        return Summary(count=total, mean=None, median=None, low_quartile=None, high_quartile=None)

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
