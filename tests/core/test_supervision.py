"""The one restart policy: backoff, intensity, storms contained but never given up."""

from __future__ import annotations

from clanactors.runtime.supervision import RestartPolicy


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RestartPolicy(base=1.0, cap=8.0, intensity=10, period=60.0)
    delays = [policy.failed("recorder", float(t)).delay for t in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_only_the_first_failure_of_a_quiet_spell_is_logged() -> None:
    policy = RestartPolicy(intensity=5, period=60.0)
    firsts = [policy.failed("feed", t).first for t in (0.0, 1.0, 2.0)]
    assert firsts == [True, False, False]
    assert policy.failed("feed", 200.0).first  # a minute of quiet: a new spell


def test_a_storm_is_contained_then_retried_not_given_up() -> None:
    policy = RestartPolicy(intensity=3, period=60.0, storm_pause=300.0)
    results = [policy.failed("member:1", float(t)) for t in range(6)]
    assert [r.storm for r in results] == [False, False, False, True, False, False]
    assert all(r.delay == 300.0 for r in results[3:])  # slowed down, still restarted
    assert policy.failed("member:1", 1000.0).delay == 1.0  # the storm passed


def test_children_are_counted_apart_and_forgotten() -> None:
    policy = RestartPolicy(intensity=1, period=60.0)
    policy.failed("member:1", 0.0)
    assert not policy.failed("member:2", 0.0).storm
    assert policy.failed("member:1", 1.0).storm
    policy.forget("member:1")
    assert policy.failed("member:1", 2.0).first
