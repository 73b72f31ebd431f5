"""The one rule that hides small groups of people, on every results page, in the JSON API and in the CSV exports.

A figure about people who answered or acted must not single anyone out. So, for every result view (survey results,
campaign results and the campaign progress page, community results, challenge results, their exports):

1. **Small counts are hidden.** A count of 1-4 people (``is_suppressed``) is shown as "hidden for privacy" (null
   in JSON, empty in CSV); a whole group (a question's answers, a segment) as "fewer than 5". Zero is shown: it
   names nobody.
2. **Shares go with their counts.** A share ``count / total`` is hidden when its count is hidden, when its total is
   (fewer than 5 answered), or when its complement ``total - count`` is 1-4: "8 answered, yes 50 %" gives away the
   4 who said no as surely as a count would (``share_hidden``).
3. **Complementary cells.** Where cells partition a total that is shown (the answers to a single-choice question,
   the bins of a histogram, responses per hop or per connector), one hidden cell could be worked out by
   subtraction; so while the hidden cells could be told apart from the total (exactly one hidden, or hidden cells
   adding up to 1-4), the smallest shown non-zero cell is hidden as well (``suppress_partition``). A table with
   both margins shown (a cross-tab) hides a second cell in every row and column with exactly one hidden
   (``suppress_table``).
4. **Figures computed from cells** add an equation an attacker could solve. The mean of a scale (a 1-5 rating, a
   design's 0-5 scores) is shown from 5 answers, and its distribution then hides at least three cells when it hides
   any (two unknowns could be solved from the count and the mean: ``with_mean``). An NPS is hidden when any of its
   three groups is (with the total and one group shown, the score would give the other two away). A number
   question's median, middle half and mean need 5 answers; its histogram's bins follow rule 3.

Segments (a date range, a filter on answers) are hidden whole when they hold fewer than 5 people or leave fewer
than 5 out (``survey_results.segment_hidden``): the same threshold, applied before any of the above.
"""

from collections.abc import Sequence

from app.i18n import N_, _

# A group smaller than this is never shown: its counts could single people out.
K_ANONYMITY = 5
# What a hidden cell reads, whether it is small itself or hidden to protect one: the same words for both, or the
# label would tell which cells are the small ones. Marked here, translated where shown (``hidden_label``).
HIDDEN_LABEL = N_("hidden for privacy")


def suppressed_label() -> str:
    """What a group too small to show reads, in the reader's language ("fewer than 5")."""
    return _("fewer than %(count)s", count=K_ANONYMITY)


def hidden_label() -> str:
    """HIDDEN_LABEL in the reader's language."""
    return _(HIDDEN_LABEL)


def is_suppressed(count: int) -> bool:
    """Whether a group of this many people is too small to show (1-4); an empty one is not secret."""
    return 0 < count < K_ANONYMITY


def shown(count: int) -> int | None:
    """A count of people as it may be shown: itself, or None (hidden) when 1-4."""
    return None if is_suppressed(count) else count


def share_hidden(count: int, total: int) -> bool:
    """Whether the share ``count`` of ``total`` must be hidden: its count, its total or its complement is 1-4."""
    return is_suppressed(total) or is_suppressed(count) or is_suppressed(total - count)


def partition_gives_away(hidden: int, hidden_sum: int, *, with_mean: bool = False) -> bool:
    """Whether ``hidden`` hidden cells adding up to ``hidden_sum`` could be worked out from the partition's shown
    total (one alone, or adding up to 1-4; three needed with a mean): then another cell must be hidden. The rule of
    ``suppress_partition``, alone, for a partition counted in SQL (a campaign's connectors, paged)."""
    fewest = 3 if with_mean else 2
    return hidden > 0 and (hidden < fewest or is_suppressed(hidden_sum))


def suppress_partition(counts: Sequence[int], *, with_mean: bool = False) -> list[int | None]:
    """Cells that partition a total shown elsewhere, with 1-4 hidden (None) and, while the hidden ones could be
    worked out from the total (one alone, or adding up to 1-4), the smallest shown non-zero cell hidden too.
    ``with_mean``: the mean of the cells' values is shown too, a second equation, so at least three are hidden."""
    cells: list[int | None] = [None if is_suppressed(count) else count for count in counts]
    while True:
        hidden = [counts[index] for index, cell in enumerate(cells) if cell is None]
        if not partition_gives_away(len(hidden), sum(hidden), with_mean=with_mean):
            return cells
        candidates = [(cell, index) for index, cell in enumerate(cells) if cell]
        if not candidates:
            return cells
        _size, index = min(candidates)
        cells[index] = None


def suppress_table(matrix: list[list[int | None]]) -> None:
    """A table whose row and column totals are shown: cells of 1-4 hidden (None) in place, then, while a row or
    column has exactly one hidden cell, its smallest other non-zero cell hidden too, so that no hidden cell can be
    worked out from a total."""
    for row in matrix:
        for index, value in enumerate(row):
            if value is not None and is_suppressed(value):
                row[index] = None
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(matrix):
            changed |= _hide_complement(matrix, [(r, c) for c in range(len(row))])
        for c in range(len(matrix[0]) if matrix else 0):
            changed |= _hide_complement(matrix, [(r, c) for r in range(len(matrix))])


def _hide_complement(matrix: list[list[int | None]], cells: list[tuple[int, int]]) -> bool:
    blanks = [(r, c) for r, c in cells if matrix[r][c] is None]
    if len(blanks) != 1:
        return False
    others = [(matrix[r][c] or 0, r, c) for r, c in cells if matrix[r][c]]
    if not others:
        return False
    _size, r, c = min(others)
    matrix[r][c] = None
    return True
