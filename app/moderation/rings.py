"""Vote rings: groups of accounts whose scores lift (or sink) a design beyond what honest scoring explains.

The evidence lives on the target, not only on each voter (see shared/design/INTEGRITY.md): a ring of fresh accounts
that each give one design a single 5 leaves no pattern per voter, but the design then holds far more surprising top
scores than its scorers' other behaviour predicts. So, per challenge:

1. Fit what honest scoring looks like: each design's consensus and each voter's bias (additive, shrunk toward zero
   for voters with few scores; robust weights, so a ring barely moves the consensus it is fighting), and the spread
   of honest scores around them.
2. Call a score *out of line* when it is a top score (5) that the design's consensus and the voter's own bias
   (from their other scores) make unlikely, or a bottom score (0 or 1) likewise. Harsh and soft raters are
   explained by their bias; a popular designer's fans give 5s the consensus expects.
3. For each design, and each designer's designs together, test two counts against what honest members would
   produce (a Poisson tail): out-of-line scores (camouflaged rings of aged accounts, swaps that sink rivals), and top
   scores from accounts that scored little else (bursts and slow drips of fresh accounts, even on a good
   design). A count far beyond its expectation marks the target.
4. Of a marked target's suspects, as many as the count exceeds its expectation are flagged, the most suspicious
   first: scored it in lockstep with the others, accounts made close together, new at the time, sharing a rare
   network or device fingerprint (fingerprints only ever add evidence; they may be missing or spoofed).
5. Groups that share members (a swap ring boosting its own and sinking rivals) are merged into one ring.

Pure functions: the integrity service, bench/rings.py and the tests call ``find_rings`` directly.
"""

import math
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from statistics import NormalDist

from app.i18n import N_, _
from app.i18n.formatting import format_number

TOP = 5
BOTTOM = 1  # 0s and 1s sink a design
OUT_OF_LINE = (0.02, 0.05, 0.12)  # levels of surprise: honest scoring gives such a score with at most this chance
FEW_SCORES = 10  # an account with at most this many scores, half of them top scores on one target, scored little else
ESTABLISHED = 5  # voters with at least this many scores show where honest top scores go
SIGNIFICANCE = 0.01  # family-wise, split over every test made (Bonferroni)
MIN_EXCESS = 4.0  # a marked target holds at least this many suspects beyond the expected
LOCKSTEP = timedelta(hours=36)
CREATED_CLOSE = timedelta(days=3)
NEW_ACCOUNT = timedelta(days=2)
CROWDED_PRINT = 10  # a network or device seen with more members than this is shared by strangers
MERGE_OVERLAP = 1 / 3
SHARED_SURPRISES = 3  # unlikely scores two voters give the same designs before they are linked
_VOTER_PRIOR = 3.0  # pseudo-scores pulling a voter's bias toward zero
_DESIGN_PRIOR = 2.0  # pseudo-scores pulling a design's consensus toward the challenge's mean
_HUBER = 1.5
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Vote:
    voter_id: int
    design_id: int
    designer_id: int
    value: int
    at: datetime


@dataclass
class Ring:
    """A group of voters acting on the same targets, with the evidence in words and the votes behind it."""

    voter_ids: list[int]
    target_designer_id: int
    target_design_ids: list[int]
    direction: int  # +1 lifting its targets, -1 sinking them, 0 both (a swap)
    score: float  # 0-1, how strong the evidence is
    reasons: list[str] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)  # the group's scores on its targets


@dataclass
class _Model:
    consensus: dict[int, float]
    bias: dict[int, float]
    bias_total: dict[int, tuple[float, float]]  # per voter: weighted sum of (score - consensus), sum of weights
    count: dict[int, int]
    spread: float

    def expected(self, vote: Vote) -> float:
        """The score this voter would give this design, from the consensus and their bias on *other* designs."""
        own = vote.value - self.consensus[vote.design_id]
        weight = _huber(own - self.bias[vote.voter_id])
        total, weights = self.bias_total[vote.voter_id]
        return self.consensus[vote.design_id] + (total - weight * own) / (weights - weight + _VOTER_PRIOR)

    def chance(self, vote: Vote, direction: int) -> float:
        """How likely honest scoring is to give a score at least this extreme in this direction."""
        expected = self.expected(vote)
        if direction > 0:
            return 1 - _NORMAL.cdf((TOP - 0.5 - expected) / self.spread)
        return _NORMAL.cdf((BOTTOM + 0.5 - expected) / self.spread)


def _huber(distance: float) -> float:
    """A score's weight by its distance from what is expected: far-off scores (a ring's) count for less."""
    distance = abs(distance)
    return 1.0 if distance <= _HUBER else _HUBER / distance


def _bias_total(theirs: Sequence[Vote], consensus: dict[int, float], bias: float) -> tuple[float, float]:
    total = weights = 0.0
    for vote in theirs:
        own = vote.value - consensus[vote.design_id]
        weight = _huber(own - bias)
        total += weight * own
        weights += weight
    return total, weights


def _fit(votes: Sequence[Vote]) -> _Model:
    by_design: dict[int, list[Vote]] = defaultdict(list)
    by_voter: dict[int, list[Vote]] = defaultdict(list)
    for vote in votes:
        by_design[vote.design_id].append(vote)
        by_voter[vote.voter_id].append(vote)
    mean = sum(vote.value for vote in votes) / len(votes)
    count = {voter: len(theirs) for voter, theirs in by_voter.items()}
    weight = {voter: n / (n + 2) for voter, n in count.items()}  # one-score accounts count a third
    consensus = {design: mean for design in by_design}
    bias = dict.fromkeys(by_voter, 0.0)
    bias_total: dict[int, tuple[float, float]] = {}
    for _round in range(5):
        for design, theirs in by_design.items():
            total, weights = _DESIGN_PRIOR * mean, _DESIGN_PRIOR
            for vote in theirs:
                value = vote.value - bias[vote.voter_id]
                w = weight[vote.voter_id] * _huber(value - consensus[design])
                total += w * value
                weights += w
            consensus[design] = total / weights
        for voter, theirs in by_voter.items():
            bias_total[voter] = _bias_total(theirs, consensus, bias[voter])
            total, weights = bias_total[voter]
            bias[voter] = total / (weights + _VOTER_PRIOR)
    model = _Model(consensus=consensus, bias=bias, bias_total=bias_total, count=count, spread=1.0)
    deviations = sorted(abs(v.value - model.expected(v)) for v in votes if count[v.voter_id] >= ESTABLISHED)
    if deviations:
        model.spread = max(0.5, 1.4826 * deviations[len(deviations) // 2])
    return model


def _poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    expected = max(expected, 1e-9)
    log_terms = [-expected + i * math.log(expected) - math.lgamma(i + 1) for i in range(observed, observed + 400)]
    top = max(log_terms)
    return min(1.0, math.exp(top) * sum(math.exp(term - top) for term in log_terms))


@dataclass
class _Suspicion:
    """One marked target: its suspects (with their votes on it), how many honest scoring explains, and why."""

    designer_id: int
    design_ids: set[int]
    direction: int
    suspects: dict[int, Vote]
    expected: float
    tail: float
    kind: str
    times: list[datetime]  # of every vote on the target, sorted
    near: list[Vote] = field(default_factory=list)  # the same extreme score, less unlikely (below the widest level)


def _units(votes: Sequence[Vote]) -> dict[tuple[str, int], list[Vote]]:
    """Each design, and each designer with more than one design, with the votes on them."""
    units: dict[tuple[str, int], list[Vote]] = defaultdict(list)
    designs_of: dict[int, set[int]] = defaultdict(set)
    for vote in votes:
        units[("design", vote.design_id)].append(vote)
        designs_of[vote.designer_id].add(vote.design_id)
    for vote in votes:
        if len(designs_of[vote.designer_id]) > 1:
            units[("designer", vote.designer_id)].append(vote)
    return units


def _suspicions(votes: Sequence[Vote], model: _Model) -> list[_Suspicion]:
    units = _units(votes)
    found: list[_Suspicion] = []
    tests = (2 * len(OUT_OF_LINE) + 1) * len(units)
    threshold = SIGNIFICANCE / max(tests, 1)

    # Out-of-line scores, lifting and sinking: observed against the sum of each voter's chance, at a few levels of
    # surprise (a ring's scores are very unlikely ones; honest members' rare 5s are mostly only a little unlikely).
    best: dict[tuple[tuple[str, int], int], _Suspicion] = {}
    near: dict[tuple[tuple[str, int], int], list[Vote]] = defaultdict(list)
    for direction in (1, -1):
        for level in OUT_OF_LINE:
            observed: dict[tuple[str, int], dict[int, Vote]] = {}
            expected: dict[tuple[str, int], float] = {}
            for unit, theirs in units.items():
                suspects, honest = {}, 0.0
                for vote in theirs:
                    chance = model.chance(vote, direction)
                    if chance < OUT_OF_LINE[-1] and (vote.value >= TOP if direction > 0 else vote.value <= BOTTOM):
                        near[(unit, direction)].append(vote)
                    if chance >= level:
                        continue
                    honest += chance
                    if vote.value >= TOP if direction > 0 else vote.value <= BOTTOM:
                        suspects[vote.voter_id] = vote
                observed[unit], expected[unit] = suspects, honest
            # Honest scores have heavier tails than a normal curve: scale the expectation by how far the counts run
            # over it on the targets that are not in question (all but the 10% with the largest excess).
            ranked = sorted(units, key=lambda u: len(observed[u]) - expected[u])
            calm = ranked[: max(1, int(len(ranked) * 0.9))]
            over = sum(len(observed[u]) for u in calm) / max(sum(expected[u] for u in calm), 1e-9)
            scale = max(1.0, over)
            for unit, suspects in observed.items():
                honest = expected[unit] * scale
                if len(suspects) - honest < MIN_EXCESS:
                    continue
                tail = _poisson_tail(len(suspects), honest)
                if tail < threshold and ((unit, direction) not in best or tail < best[(unit, direction)].tail):
                    best[(unit, direction)] = _suspicion(units[unit], suspects, honest, tail, direction, "out_of_line")
    for key, suspicion in best.items():
        suspicion.near = list({vote.voter_id: vote for vote in near[key]}.values())
    found.extend(best.values())

    # Top scores from accounts that scored little else (at most FEW_SCORES, at least half of them top scores on
    # this target): observed against where established voters' top scores go, per kind of target.
    fresh_tops: dict[tuple[str, int], dict[int, Vote]] = defaultdict(dict)
    established_tops: Counter[tuple[str, int]] = Counter()
    for unit, theirs in units.items():
        tops_by: Counter[int] = Counter(vote.voter_id for vote in theirs if vote.value >= TOP)
        for vote in theirs:
            if vote.value < TOP:
                continue
            count = model.count[vote.voter_id]
            if count <= FEW_SCORES and 2 * tops_by[vote.voter_id] >= count:
                fresh_tops[unit][vote.voter_id] = vote
            elif count >= ESTABLISHED:
                established_tops[unit] += 1
    for kind in ("design", "designer"):
        kind_units = [unit for unit in units if unit[0] == kind]
        if not kind_units:
            continue
        # The usual number of such accounts, from the 90% of targets with the fewest (rings crowd the rest).
        counts = sorted(len(fresh_tops[unit]) for unit in kind_units)
        fewest = counts[: max(1, int(len(counts) * 0.9))]
        all_fresh = sum(fewest) * len(counts) / len(fewest)
        all_established = sum(established_tops[unit] for unit in kind_units)
        for unit in kind_units:
            suspects = fresh_tops[unit]
            share = (established_tops[unit] + 1) / (all_established + len(kind_units))
            honest = max(0.0, all_fresh - len(suspects)) * share / max(1e-9, 1 - share)
            if len(suspects) - honest < MIN_EXCESS:
                continue
            tail = _poisson_tail(len(suspects), honest)
            if tail < threshold:
                found.append(_suspicion(units[unit], suspects, honest, tail, 1, "fresh_accounts"))
    return found


def _suspicion(
    theirs: Sequence[Vote],
    suspects: dict[int, Vote],
    expected: float,
    tail: float,
    direction: int,
    kind: str,
) -> _Suspicion:
    designer_id = theirs[0].designer_id
    design_ids = {
        vote.design_id
        for vote in theirs
        if vote.voter_id in suspects and (vote.value >= TOP if direction > 0 else vote.value <= BOTTOM)
    }
    times = sorted(vote.at for vote in theirs)
    return _Suspicion(designer_id, design_ids, direction, suspects, expected, tail, kind, times)


def _pick(
    suspicion: _Suspicion,
    *,
    created_at: dict[int, datetime],
    print_owners: dict[str, list[set[int]]],
    marked_designers: dict[int, set[int]],
) -> tuple[list[int], dict[str, set[int]]]:
    """The suspects beyond the honest expectation whose membership something else corroborates, most suspicious
    first, and that evidence.

    An unlikely top score alone does not make a ring member: a popular designer's fans give them too, spread over the
    window. Corroboration is scoring the target in lockstep with the other suspects (far closer in time than the
    design's votes in general), being a suspect on another designer's marked design too (a swap), an account new
    when it scored or made within days of most of the others, or a rare network or device shared with them.
    Accounts that scored little but the target need none: that is the evidence."""
    suspects = suspicion.suspects
    evidence: dict[str, set[int]] = defaultdict(set)
    ranking: list[tuple[float, int]] = []
    others = max(1, len(suspects) - 1)
    for voter, vote in suspects.items():
        lockstep = sum(1 for other in suspects.values() if abs(other.at - vote.at) <= LOCKSTEP) - 1
        nearby = bisect_right(suspicion.times, vote.at + LOCKSTEP) - bisect_left(suspicion.times, vote.at - LOCKSTEP)
        # How many of the others would be this close if they scored like the design's other voters.
        usual = others * max(0, nearby - lockstep - 1) / max(1, len(suspicion.times) - len(suspects))
        in_lockstep = lockstep >= 3 and lockstep >= 3 * usual + 1
        born = created_at.get(voter)
        close = 0
        if born is not None:
            close = sum(
                1
                for other in suspects
                if other != voter
                and created_at.get(other) is not None
                and abs(created_at[other] - born) <= CREATED_CLOSE
            )
        made_together = close >= max(3, others / 2)
        new = born is not None and vote.at - born <= NEW_ACCOUNT
        shared = any(len(owners & suspects.keys()) > 1 for owners in print_owners.get(str(voter), []))
        swapping = len(marked_designers.get(voter, set()) - {suspicion.designer_id}) >= 2
        signs = {  # the evidence's labels, marked for translation (``_ring`` translates them)
            N_("scored it in lockstep with the others"): in_lockstep,
            N_("accounts made within days of each other"): made_together,
            N_("accounts new when they scored"): new,
            N_("sharing a network or device seen with few others"): shared,
            N_("also suspects on two other designers' marked designs"): swapping,
        }
        if suspicion.kind != "fresh_accounts" and not any(signs.values()):
            continue
        for label, shown in signs.items():
            if shown:
                evidence[label].add(voter)
        ranking.append((sum(signs.values()) + lockstep / others, voter))
    ranking.sort(key=lambda item: (-item[0], item[1]))
    take = len(suspects) if suspicion.expected < 0.5 else math.ceil(len(suspects) - suspicion.expected)
    picked = [voter for _, voter in ranking[:take]]
    return picked + _in_lockstep(suspicion, picked), evidence


def _in_lockstep(suspicion: _Suspicion, picked: list[int]) -> list[int]:
    """Voters who gave the target the same score, somewhat unlikely for them, in lockstep with at least three of the
    picked (ring members whose own scoring makes the score less surprising, such as generous raters)."""
    if suspicion.kind != "out_of_line" or len(picked) < MIN_EXCESS:
        return []
    moments = [suspicion.suspects[voter].at for voter in picked]
    joined = []
    for vote in suspicion.near:
        if vote.voter_id in suspicion.suspects:
            continue
        if sum(1 for moment in moments if abs(moment - vote.at) <= LOCKSTEP) >= 3:
            joined.append(vote.voter_id)
    return joined


def _shared_surprises(votes: Sequence[Vote], model: _Model) -> list[tuple[set[int], set[int], int]]:
    """Groups of voters who keep giving the same designs the same unlikely scores (a swap ring sinking its rivals
    and lifting its own: each design alone may hold too few of them to stand out). Two voters are linked when they
    share at least ``SHARED_SURPRISES`` such scores; groups are the linked components of ``MIN_EXCESS`` or more.
    Returns each group's voters, the designs they share, and the direction (0 when both)."""
    level = OUT_OF_LINE[1]
    holders: dict[tuple[int, int], list[int]] = defaultdict(list)
    for vote in votes:
        for direction in (1, -1):
            extreme = vote.value >= TOP if direction > 0 else vote.value <= BOTTOM
            if extreme and model.chance(vote, direction) < level:
                holders[(direction, vote.design_id)].append(vote.voter_id)
    shared: Counter[tuple[int, int]] = Counter()
    for voters in holders.values():
        for pair in combinations(sorted(voters), 2):
            shared[pair] += 1
    links: dict[int, set[int]] = defaultdict(set)
    for (a, b), count in shared.items():
        if count >= SHARED_SURPRISES:
            links[a].add(b)
            links[b].add(a)
    groups = []
    seen: set[int] = set()
    for start in links:
        if start in seen:
            continue
        component, frontier = set(), [start]
        while frontier:
            voter = frontier.pop()
            if voter not in component:
                component.add(voter)
                frontier.extend(links[voter] - component)
        seen |= component
        if len(component) < MIN_EXCESS:
            continue
        items = {item for item, voters in holders.items() if len(component & set(voters)) >= 2}
        directions = {direction for direction, _ in items}
        groups.append((component, {design for _, design in items}, directions.pop() if len(directions) == 1 else 0))
    return groups


def _rare_prints(fingerprints: dict[int, set[tuple[str, str]]]) -> dict[str, list[set[int]]]:
    """Per voter (as a string key), the member sets of the rare networks and devices they were seen on."""
    owners: dict[str, set[int]] = defaultdict(set)
    for voter, prints in fingerprints.items():
        for network, device in prints:
            owners["n:" + network].add(voter)
            owners["d:" + device].add(voter)
    rare = [members for members in owners.values() if 1 < len(members) <= CROWDED_PRINT]
    per_voter: dict[str, list[set[int]]] = defaultdict(list)
    for members in rare:
        for voter in members:
            per_voter[str(voter)].append(members)
    return per_voter


def find_rings(
    votes: Iterable[Vote],
    *,
    created_at: dict[int, datetime],
    fingerprints: dict[int, set[tuple[str, str]]] | None = None,
    exclude_voters: frozenset[int] = frozenset(),
) -> list[Ring]:
    """The vote rings among these votes, strongest evidence first."""
    kept = [vote for vote in votes if vote.voter_id not in exclude_voters]
    if len(kept) < 20:
        return []
    model = _fit(kept)
    print_owners = _rare_prints(fingerprints or {})
    groups: list[tuple[set[int], list[_Suspicion], dict[str, set[int]]]] = []
    suspicions = _suspicions(kept, model)
    marked_designers: dict[int, set[int]] = defaultdict(set)
    for suspicion in suspicions:
        for voter in suspicion.suspects:
            marked_designers[voter].add(suspicion.designer_id)
    times_picked: Counter[int] = Counter()
    fresh_picked: set[int] = set()  # picked as accounts that scored little else: that is evidence enough
    for suspicion in suspicions:
        picked, evidence = _pick(
            suspicion, created_at=created_at, print_owners=print_owners, marked_designers=marked_designers
        )
        if len(picked) >= MIN_EXCESS:
            times_picked.update(picked)
            if suspicion.kind == "fresh_accounts":
                fresh_picked.update(picked)
            _merge(groups, set(picked), suspicion, evidence)
    for members, design_ids, direction in _shared_surprises(kept, model):
        theirs = [vote for vote in kept if vote.voter_id in members and vote.design_id in design_ids]
        suspicion = _Suspicion(
            designer_id=theirs[0].designer_id,
            design_ids=design_ids,
            direction=direction,
            suspects={vote.voter_id: vote for vote in theirs},
            expected=0.0,
            tail=1e-10,
            kind="shared",
            times=[],
        )
        times_picked.update({voter: 2 for voter in members})
        _merge(groups, members, suspicion, {N_("gave the same designs unlikely scores again and again"): set(members)})
    # A ring acting on three or more targets (a swap) shows its members on several of them: someone picked on only
    # one, for an unlikely score there, is more likely an honest member.
    groups = [
        (
            {voter for voter in members if len(found) < 3 or times_picked[voter] >= 2 or voter in fresh_picked},
            found,
            evidence,
        )
        for members, found, evidence in groups
    ]
    return sorted(
        (
            _ring(members, suspicions, evidence)
            for members, suspicions, evidence in groups
            if len(members) >= MIN_EXCESS
        ),
        key=lambda ring: (-ring.score, -len(ring.voter_ids)),
    )


def _merge(
    groups: list[tuple[set[int], list[_Suspicion], dict[str, set[int]]]],
    members: set[int],
    suspicion: _Suspicion,
    evidence: dict[str, set[int]],
) -> None:
    """Add a group of suspects to the ring it overlaps, or as a ring of its own."""
    for group in groups:
        if len(group[0] & members) >= MERGE_OVERLAP * min(len(group[0]), len(members)):
            group[0].update(members)
            group[1].append(suspicion)
            for label, voters in evidence.items():
                group[2].setdefault(label, set()).update(voters)
            return
    groups.append((members, [suspicion], evidence))


# How a suspicion reads, by (kind, top scores, one design): whole sentences, marked for translation.
SUSPICION_WORDS = {
    ("fresh_accounts", True, True): N_(
        "%(count)s top scores on one design from accounts that scored little else, where about %(usual)s would be usual"
    ),
    ("fresh_accounts", True, False): N_(
        "%(count)s top scores on %(designs)s designs by one designer from accounts that scored little else, where "
        "about %(usual)s would be usual"
    ),
    ("fresh_accounts", False, True): N_(
        "%(count)s bottom scores on one design from accounts that scored little else, where about %(usual)s would "
        "be usual"
    ),
    ("fresh_accounts", False, False): N_(
        "%(count)s bottom scores on %(designs)s designs by one designer from accounts that scored little else, "
        "where about %(usual)s would be usual"
    ),
    ("out_of_line", True, True): N_(
        "%(count)s top scores on one design that the design's other scores and these members' own scoring make "
        "unlikely, where about %(usual)s would be usual"
    ),
    ("out_of_line", True, False): N_(
        "%(count)s top scores on %(designs)s designs by one designer that the design's other scores and these "
        "members' own scoring make unlikely, where about %(usual)s would be usual"
    ),
    ("out_of_line", False, True): N_(
        "%(count)s bottom scores on one design that the design's other scores and these members' own scoring make "
        "unlikely, where about %(usual)s would be usual"
    ),
    ("out_of_line", False, False): N_(
        "%(count)s bottom scores on %(designs)s designs by one designer that the design's other scores and these "
        "members' own scoring make unlikely, where about %(usual)s would be usual"
    ),
}


def _suspicion_words(suspicion: _Suspicion) -> str:
    """One suspicion as the integrity page says it, in the current language."""
    count, designs = len(suspicion.suspects), len(suspicion.design_ids)
    if suspicion.kind == "shared":
        return _(
            "%(count)s members giving the same %(designs)s designs scores that their own scoring and the designs' "
            "other scores make unlikely, again and again",
            count=count,
            designs=designs,
        )
    kind = "fresh_accounts" if suspicion.kind == "fresh_accounts" else "out_of_line"
    text = SUSPICION_WORDS[(kind, suspicion.direction > 0, designs == 1)]
    return _(text, count=count, designs=designs, usual=format_number(suspicion.expected, digits=1))


def _ring(members: set[int], suspicions: list[_Suspicion], evidence: dict[str, set[int]]) -> Ring:
    directions = {suspicion.direction for suspicion in suspicions}
    direction = directions.pop() if len(directions) == 1 else 0
    main = min(suspicions, key=lambda suspicion: suspicion.tail)
    design_ids = sorted({design for suspicion in suspicions for design in suspicion.design_ids})
    votes = sorted(
        {vote for suspicion in suspicions for voter, vote in suspicion.suspects.items() if voter in members},
        key=lambda vote: vote.at,
    )
    strength = max(-math.log10(max(suspicion.tail, 1e-300)) for suspicion in suspicions)
    reasons: list[str] = []
    for suspicion in sorted(suspicions, key=lambda s: s.tail):
        reason = _suspicion_words(suspicion)
        if reason not in reasons:
            reasons.append(reason)
    shown = {label: len(voters & members) for label, voters in evidence.items()}
    reasons.extend(
        _("%(sign)s: %(count)s of them", sign=_(label), count=count)
        for label, count in sorted(shown.items(), key=lambda i: -i[1])
        if count
    )
    return Ring(
        voter_ids=sorted(members),
        target_designer_id=main.designer_id,
        target_design_ids=design_ids,
        direction=direction,
        score=round(min(1.0, strength / 20), 2),
        reasons=reasons,
        votes=votes,
    )
