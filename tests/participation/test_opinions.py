"""Opinion groups (Pol.is-style) on planted data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.participation.opinions import Z_90, opinion_groups

#: statement ids and participant ids are not 0..n-1 on purpose
STATEMENT_IDS = np.arange(101, 111)  # s1..s10
PARTICIPANT_IDS = np.arange(7, 7 + 22) * 3


def two_camps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """22 participants x 10 statements as (participant code, statement code, vote).

    Camp A (codes 0-9) agrees with s1-s5 and disagrees with s6-s10; camp B (10-19) the
    reverse. A few votes are passes or missing. Codes 20 and 21 vote on 3 statements
    only and must not be placed (they need min(7, 10) = 7 votes).
    """
    rows = []
    for p in range(20):
        camp_a = p < 10
        for s in range(10):
            if (p + 2 * s) % 13 == 0:  # missing
                continue
            vote = 1 if (s < 5) == camp_a else -1
            if (3 * p + s) % 17 == 0:  # pass
                vote = 0
            rows.append((p, s, vote))
    rows += [(20, 0, 1), (20, 5, 1), (20, 9, -1), (21, 1, -1), (21, 2, 0), (21, 3, 1)]
    p, s, v = (np.array(col) for col in zip(*rows, strict=True))
    return p, s, v


def groups_of(p: np.ndarray, s: np.ndarray, v: np.ndarray, **kw: object):
    return opinion_groups(
        p, s, v, participant_ids=PARTICIPANT_IDS, statement_ids=STATEMENT_IDS, **kw
    )


def test_two_camps_are_recovered() -> None:
    p, s, v = two_camps()
    result = groups_of(p, s, v)
    assert result.found and result.reason == ""
    assert result.k == 2
    assert result.silhouette[2] == max(result.silhouette.values())
    assert set(result.silhouette) == {2, 3, 4, 5}
    # the two thin voters are not placed
    assert result.participant_ids.tolist() == PARTICIPANT_IDS[:20].tolist()
    labels = result.labels.tolist()
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1
    assert labels[0] != labels[10]
    assert result.group_sizes == (10, 10)
    # equal sizes: group 0 is the one holding the earliest participant (camp A)
    assert labels[0] == 0
    assert result.coords.shape == (20, 2)
    # representative statements: exactly the camp's agreed statements
    reps = [sorted(r.statement_id for r in group) for group in result.representative]
    assert reps == [STATEMENT_IDS[:5].tolist(), STATEMENT_IDS[5:].tolist()]
    for group in result.representative:
        for r in group:
            assert r.z > Z_90 and r.group_share > 0.5 > r.others_share
        assert [r.z for r in group] == sorted((r.z for r in group), reverse=True)


def test_representative_z_by_hand() -> None:
    p, s, v = two_camps()
    result = groups_of(p, s, v)
    camp = {0: range(10), 1: range(10, 20)}
    for g, reps in enumerate(result.representative):
        for r in reps:
            c = STATEMENT_IDS.tolist().index(r.statement_id)
            mine = np.isin(p, camp[g]) & (s == c)
            others = np.isin(p, camp[1 - g]) & (s == c)  # thin voters are not placed
            a_g, n_g = int((v[mine] == 1).sum()), int(mine.sum())
            a_o, n_o = int((v[others] == 1).sum()), int(others.sum())
            p_g, p_o = (a_g + 1) / (n_g + 2), (a_o + 1) / (n_o + 2)
            pooled = (a_g + a_o + 1) / (n_g + n_o + 2)
            z = (p_g - p_o) / math.sqrt(pooled * (1 - pooled) * (1 / n_g + 1 / n_o))
            assert (r.group_share, r.others_share) == pytest.approx((p_g, p_o))
            assert r.z == pytest.approx(z)


def test_group_informed_consensus_by_hand() -> None:
    p, s, v = two_camps()
    result = groups_of(p, s, v)
    camps = [range(10), range(10, 20)]
    for c, sid in enumerate(STATEMENT_IDS):
        expected = 1.0
        for members in camps:
            cell = np.isin(p, members) & (s == c)
            agrees, votes = int((v[cell] == 1).sum()), int(cell.sum())
            expected *= (agrees + 1) / (votes + 2)
        assert result.consensus[int(sid)] == pytest.approx(expected)
    # s1: camp A agrees 9 of 9 votes (participant 0 missing); camp B agrees 0 of 9 votes
    # (13 missing, 17 passes) -> (9 + 1)/(9 + 2) * (0 + 1)/(9 + 2) = 10/11 * 1/11
    camp_a, camp_b = (p < 10) & (s == 0), (p >= 10) & (p < 20) & (s == 0)
    assert (int((v[camp_a] == 1).sum()), int(camp_a.sum())) == (9, 9)
    assert (int((v[camp_b] == 1).sum()), int(camp_b.sum())) == (0, 9)
    assert result.consensus[101] == pytest.approx(10 / 11 * 1 / 11)
    assert result.agrees.shape == result.votes.shape == (2, 10)


def test_statement_everyone_agrees_with_has_high_consensus() -> None:
    p, s, v = two_camps()
    extra_p = np.arange(20)
    p2 = np.concatenate([p, extra_p])
    s2 = np.concatenate([s, np.full(20, 10)])
    v2 = np.concatenate([v, np.ones(20, dtype=int)])
    ids = np.append(STATEMENT_IDS, 999)
    result = opinion_groups(p2, s2, v2, participant_ids=PARTICIPANT_IDS, statement_ids=ids)
    assert result.k == 2
    # (10 + 1)/(10 + 2) squared, and no group "owns" it
    assert result.consensus[999] == pytest.approx((11 / 12) ** 2)
    assert max(result.consensus, key=result.consensus.get) == 999
    assert all(999 not in [r.statement_id for r in g] for g in result.representative)


def test_deterministic_and_independent_of_row_order() -> None:
    p, s, v = two_camps()
    first = groups_of(p, s, v)
    second = groups_of(p, s, v)
    order = np.random.default_rng(3).permutation(len(p))
    shuffled = groups_of(p[order], s[order], v[order])
    for other in (second, shuffled):
        assert np.array_equal(first.labels, other.labels)
        assert np.array_equal(first.coords, other.coords)  # bit-identical
        assert np.array_equal(first.participant_ids, other.participant_ids)
        assert first.silhouette == other.silhouette
        assert first.representative == other.representative
        assert first.consensus == other.consensus
    assert first.as_dict() == shuffled.as_dict()


def test_three_camps_with_many_participants() -> None:
    rng = np.random.default_rng(11)
    n, m = 300, 30
    camp = np.arange(n) % 3
    side = np.array([[1] * 10 + [-1] * 20, [-1] * 10 + [1] * 10 + [-1] * 10, [-1] * 20 + [1] * 10])
    pp, ss = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    votes = np.where(rng.random((n, m)) < 0.9, side[camp], -side[camp])
    seen = rng.random((n, m)) < 0.8
    result = opinion_groups(
        pp[seen],
        ss[seen],
        votes[seen],
        participant_ids=np.arange(n),
        statement_ids=np.arange(m),
        silhouette_sample=100,  # exercise the sampled silhouette
    )
    assert result.k == 3
    kept = result.participant_ids
    # each group is one camp
    for g in range(3):
        assert len(set(camp[kept[result.labels == g]])) == 1
    again = opinion_groups(
        pp[seen],
        ss[seen],
        votes[seen],
        participant_ids=np.arange(n),
        statement_ids=np.arange(m),
        silhouette_sample=100,
    )
    assert again.silhouette == result.silhouette


def test_too_few_participants() -> None:
    p, s, v = two_camps()
    few = p < 3
    result = groups_of(p[few], s[few], v[few])
    assert not result.found and result.k == 0
    assert "only 3 participant(s) voted on at least 7 statements" in result.reason
    assert result.group_sizes == () and result.consensus == {}
    assert result.as_dict()["reason"] == result.reason


def test_thin_votes_do_not_count() -> None:
    p, s, v = two_camps()
    thin = s < 3  # everyone voted on 3 statements at most: min(7, 10) = 7 needed
    result = groups_of(p[thin], s[thin], v[thin])
    assert not result.found and "only 0 participant(s)" in result.reason


def test_too_few_statements() -> None:
    result = opinion_groups(
        [0, 1, 2, 3], [0, 0, 0, 0], [1, -1, 1, -1], participant_ids=[1, 2, 3, 4], statement_ids=[5]
    )
    assert not result.found and "at least 2 approved statements" in result.reason


def test_identical_votes_form_no_groups() -> None:
    pp, ss = np.meshgrid(np.arange(8), np.arange(4), indexing="ij")
    result = opinion_groups(
        pp.ravel(),
        ss.ravel(),
        np.ones(pp.size, dtype=int),
        participant_ids=np.arange(8),
        statement_ids=np.arange(4),
    )
    assert not result.found and "too alike" in result.reason
    assert result.labels.tolist() == [-1] * 8 and result.coords.shape == (8, 2)
