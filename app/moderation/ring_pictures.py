"""The picture of a vote ring: every score on its target over time, the ring's scores marked (server-side SVG).

Each picture comes with the same facts in words on the page (who scored what, when), so it is never the only way to
read the evidence.
"""

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from app.moderation.rings import Vote

WIDTH, HEIGHT = 400, 130
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 28


def ring_picture(*, title: str, votes: Sequence[Vote], ring: set[int], window: tuple[datetime, datetime]) -> Markup:
    """Scores (0-5, up) on one design against time (across), the ring's filled, everyone else's hollow."""
    start, end = window
    span = max((end - start).total_seconds(), 1.0)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        return LEFT + plot_width * min(1.0, max(0.0, (moment - start).total_seconds() / span))

    def y(value: float) -> float:
        return TOP + plot_height * (1 - value / 5)

    dots = []
    # Everyone else first, so the ring's dots are drawn on top.
    for vote in sorted(votes, key=lambda vote: vote.voter_id in ring):
        marked = vote.voter_id in ring
        jitter = (vote.voter_id % 7 - 3) * 0.04
        dots.append(
            f'<circle class="{"ring-dot" if marked else "ring-other"}" cx="{x(vote.at):.1f}" '
            f'cy="{y(vote.value + jitter):.1f}" r="{3.2 if marked else 2.4}"/>'
        )
    in_ring = sum(1 for vote in votes if vote.voter_id in ring)
    label = escape(
        f"Scores on {title} over time: {in_ring} from the group (filled), {len(votes) - in_ring} from everyone else"
    )
    axis = (
        f'<line class="chart-axis" x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}"/>'
        f'<line class="chart-axis" x1="{LEFT}" y1="{y(5):.1f}" x2="{LEFT}" y2="{y(0):.1f}"/>'
        + "".join(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>' for value in (0, 5))
        + f'<text x="{LEFT}" y="{HEIGHT - 8}">{start:%d %b %H:%M}</text>'
        + f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{end:%d %b %H:%M}</text>'
        + f'<text x="{LEFT + plot_width / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">time</text>'
        + f'<text x="10" y="{y(2.5):.1f}" transform="rotate(-90 10 {y(2.5):.1f})" text-anchor="middle">score</text>'
    )
    return Markup(  # noqa: S704 (the one piece of user text, the title, goes through escape())
        f'<svg class="chart ring-picture" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>{axis}{''.join(dots)}</svg>"
    )
