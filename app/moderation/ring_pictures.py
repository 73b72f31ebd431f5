"""The picture of a vote ring: every score on its target over time, the ring's scores marked (server-side SVG).

Each picture comes with the same facts in words on the page (who scored what, when), so it is never the only way to
read the evidence.
"""

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from app.i18n import _
from app.i18n.formatting import format_datetime
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
            _svg("circle", cls="ring-dot" if marked else "ring-other", cx=f"{x(vote.at):.1f}")
            + f'cy="{y(vote.value + jitter):.1f}" r="{3.2 if marked else 2.4}"/>'
        )
    in_ring = sum(1 for vote in votes if vote.voter_id in ring)
    label = escape(
        _(
            "Scores on %(title)s over time: %(group)s from the group (filled), %(others)s from everyone else",
            title=title,
            group=in_ring,
            others=len(votes) - in_ring,
        )
    )
    first, last = escape(format_datetime(start, style="short")), escape(format_datetime(end, style="short"))
    bottom, middle = HEIGHT - 8, f"{LEFT + plot_width / 2:.1f}"
    axis = (
        _svg("line", cls="chart-axis", x1=LEFT, y1=f"{y(0):.1f}", x2=WIDTH - RIGHT, y2=f"{y(0):.1f}")
        + "/>"
        + _svg("line", cls="chart-axis", x1=LEFT, y1=f"{y(5):.1f}", x2=LEFT, y2=f"{y(0):.1f}")
        + "/>"
        + "".join(_text(value, x=LEFT - 6, y=f"{y(value) + 4:.1f}", anchor="end") for value in (0, 5))
        + _text(first, x=LEFT, y=bottom)
        + _text(last, x=WIDTH - RIGHT, y=bottom, anchor="end")
        + _text(escape(_("time")), x=middle, y=bottom, anchor="middle")
        + _text(escape(_("score")), x=10, y=f"{y(2.5):.1f}", anchor="middle", turn=f"rotate(-90 10 {y(2.5):.1f})")
    )
    classes = "chart ring-picture"  # i18n: ignore
    svg = _svg("svg", cls=classes, viewBox=f"0 0 {WIDTH} {HEIGHT}", role="img", **{"aria-label": label})
    return Markup(  # noqa: S704 (the one piece of user text, the title, goes through escape())
        f"{svg}><title>{label}</title>{axis}{''.join(dots)}</svg>"
    )


def _svg(tag: str, *, cls: str, **attributes: object) -> str:
    """An SVG element's opening, without its closing bracket: ``<tag class="..." name="value" ...``."""
    pairs = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f'<{tag} class="{cls}"{pairs} '


def _text(words: object, *, x: object, y: object, anchor: str = "", turn: str = "") -> str:
    """A text element of the picture (its words escaped by the caller)."""
    placed = f' text-anchor="{anchor}"' if anchor else ""
    turned = f' transform="{turn}"' if turn else ""
    return f'<text x="{x}" y="{y}"{turned}{placed}>{words}</text>'  # i18n: ignore
