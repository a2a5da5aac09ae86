"""Matchers and routing through the policy tree (Alertmanager's documented semantics; the tree
is Alertmanager's own ``dispatch/route_test.go`` example)."""

from __future__ import annotations

import pytest

from ioc.engines.alerting.notify.matchers import (
    MatcherError,
    parse_matcher,
    parse_matchers,
    split_matchers,
)
from ioc.engines.alerting.notify.policy import (
    PolicyNode,
    ResolvedRoute,
    route,
)

# --- matchers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "labels", "expected"),
    [
        ('severity="critical"', {"severity": "critical"}, True),
        ('severity="critical"', {"severity": "high"}, False),
        ('severity!="critical"', {"severity": "high"}, True),
        ('severity!="critical"', {}, True),
        ('severity=~"critical|high"', {"severity": "high"}, True),
        # Fully anchored, like Alertmanager: a partial match is no match.
        ('severity=~"crit"', {"severity": "critical"}, False),
        ('severity=~"crit.*"', {"severity": "critical"}, True),
        ('severity!~"critical|high"', {"severity": "warning"}, True),
        ('severity!~"critical|high"', {"severity": "critical"}, False),
        # A missing label is the empty string.
        ('area=""', {}, True),
        ('area!=""', {}, False),
        ('area=~".*"', {}, True),
        ("area=24133", {"area": "24133"}, True),
        ('station="Trạm Quảng trường 10/3"', {"station": "Trạm Quảng trường 10/3"}, True),
    ],
)
def test_matcher_semantics(spec: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_matcher(spec).matches(labels) is expected


def test_matcher_from_dict_and_text_round_trip() -> None:
    m = parse_matcher({"name": "severity", "op": "=~", "value": "critical|high"})
    assert str(m) == 'severity=~"critical|high"'
    assert parse_matcher(str(m)) == m
    quoted = parse_matcher(r'summary="a \"b\", c"')
    assert quoted.value == 'a "b", c'


@pytest.mark.parametrize(
    "bad",
    ['severity=~"(unclosed"', "1abc=x", "severity", 'severity="x', 'sev ~= "x"', "=x"],
)
def test_bad_matcher_raises_naming_it(bad: str) -> None:
    with pytest.raises(MatcherError) as err:
        parse_matcher(bad)
    assert repr(bad) in str(err.value)  # the message names the offending matcher


def test_split_several_matchers_respects_quotes() -> None:
    parts = split_matchers('{alertname="a,b", area=~"24.*"}')
    assert parts == ['alertname="a,b"', 'area=~"24.*"']
    assert [str(m) for m in parse_matchers("x=1\ny!=2")] == ['x="1"', 'y!="2"']


# --- the routing tree -----------------------------------------------------------------------


def m(*specs: str) -> list:  # type: ignore[type-arg]
    return parse_matchers(list(specs))


def am_tree() -> PolicyNode:
    """Alertmanager's ``TestRouteMatch`` tree (route_test.go)."""
    return PolicyNode(
        contact_point="notify-def",
        group_by=[],
        children=[
            PolicyNode(
                matchers=m('owner="team-A"'),
                contact_point="notify-A",
                children=[
                    PolicyNode(
                        matchers=m('env="testing"'),
                        contact_point="notify-testing",
                        group_by=["..."],
                    ),
                    PolicyNode(
                        matchers=m('env="production"'),
                        contact_point="notify-productionA",
                        group_wait_s=60,
                        continue_matching=True,
                    ),
                    PolicyNode(
                        matchers=m('env=~"produ.*"', 'job=~".*"'),
                        contact_point="notify-productionB",
                        group_wait_s=30,
                        group_interval_s=300,
                        repeat_interval_s=3600,
                        group_by=["job"],
                    ),
                ],
            ),
            PolicyNode(
                matchers=m('owner=~"team-(B|C)"'),
                group_by=["foo", "bar"],
                group_wait_s=120,
                contact_point="notify-BC",
            ),
            PolicyNode(
                matchers=m('group_by="role"'),
                group_by=["role"],
                children=[
                    PolicyNode(
                        matchers=m('env="testing"'),
                        contact_point="notify-testing",
                        children=[PolicyNode(matchers=m('wait="long"'), group_wait_s=120)],
                    )
                ],
            ),
        ],
    )


def summary(routes: list[ResolvedRoute]) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (
            r.contact_point,
            "..." if r.group_by_all else tuple(sorted(r.group_by)),
            r.group_wait_s,
            r.group_interval_s,
            r.repeat_interval_s,
        )
        for r in routes
    ]


D = (30, 300, 4 * 3600)  # Alertmanager's default timers


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # Matches team-A, no child matches: the team-A node itself (deepest match).
        ({"owner": "team-A"}, [("notify-A", (), *D)]),
        ({"owner": "team-A", "env": "unset"}, [("notify-A", (), *D)]),
        ({"owner": "team-C"}, [("notify-BC", ("bar", "foo"), 120, 300, 4 * 3600)]),
        # group_by [...] = every label.
        ({"owner": "team-A", "env": "testing"}, [("notify-testing", "...", *D)]),
        # continue: both siblings match.
        (
            {"owner": "team-A", "env": "production"},
            [
                ("notify-productionA", (), 60, 300, 4 * 3600),
                ("notify-productionB", ("job",), 30, 300, 3600),
            ],
        ),
        # A child that sets no contact point inherits the parent's (here the root's).
        ({"group_by": "role"}, [("notify-def", ("role",), *D)]),
        ({"env": "testing", "group_by": "role"}, [("notify-testing", ("role",), *D)]),
        # Grand-child inherits receiver and group_by, overrides the wait.
        (
            {"env": "testing", "group_by": "role", "wait": "long"},
            [("notify-testing", ("role",), 120, 300, 4 * 3600)],
        ),
        # Nothing matches: the root.
        ({"owner": "team-Z"}, [("notify-def", (), *D)]),
    ],
)
def test_alertmanager_route_match(labels: dict[str, str], expected: list[tuple]) -> None:  # type: ignore[type-arg]
    assert summary(route(am_tree(), labels)) == expected


def test_route_keys_are_unique_and_stable() -> None:
    a, b = route(am_tree(), {"owner": "team-A", "env": "production"})
    assert a.key == '{}/{owner="team-A"}/0/{env="production"}/1'
    assert b.key == '{}/{owner="team-A"}/0/{env=~"produ.*",job=~".*"}/2'
    assert route(am_tree(), {"owner": "team-A", "env": "production"})[0].key == a.key


def test_siblings_stop_at_first_match_without_continue() -> None:
    tree = PolicyNode(
        contact_point="root",
        children=[
            PolicyNode(matchers=m('severity="critical"'), contact_point="first"),
            PolicyNode(matchers=m('severity=~"critical|high"'), contact_point="second"),
        ],
    )
    assert [r.contact_point for r in route(tree, {"severity": "critical"})] == ["first"]
    assert [r.contact_point for r in route(tree, {"severity": "high"})] == ["second"]
    tree.children[0].continue_matching = True
    assert [r.contact_point for r in route(tree, {"severity": "critical"})] == [
        "first",
        "second",
    ]


def test_defaults_and_group_by_variants() -> None:
    root = route(PolicyNode(contact_point="x"), {"alertname": "a", "area": "1"})[0]
    assert (root.group_wait_s, root.group_interval_s, root.repeat_interval_s) == D
    assert root.group_by == ("alertname",)
    labels = {"alertname": "a", "area": "24133", "station": "S1"}
    assert root.group_labels(labels) == {"alertname": "a"}
    one = route(PolicyNode(contact_point="x", group_by=[]), labels)[0]
    assert one.group_labels(labels) == {}
    every = route(PolicyNode(contact_point="x", group_by=["..."]), labels)[0]
    assert every.group_labels(labels) == labels
    by_area = route(PolicyNode(contact_point="x", group_by=["area", "missing"]), labels)[0]
    assert by_area.group_labels(labels) == {"area": "24133"}
    assert by_area.group_key(labels) == '{}:{area="24133"}'


def test_repeat_interval_rounded_up_to_group_interval() -> None:
    r = route(PolicyNode(contact_point="x", group_interval_s=300, repeat_interval_s=3601), {})[0]
    assert r.repeat_interval_s == 3900
    short = route(PolicyNode(contact_point="x", group_interval_s=300, repeat_interval_s=60), {})
    assert short[0].repeat_interval_s == 300


def test_mute_and_active_timings_inherited_and_overridden() -> None:
    tree = PolicyNode(
        contact_point="x",
        children=[
            PolicyNode(
                matchers=m('env="parent"'),
                mute_timings=["weekend"],
                active_timings=["office"],
                children=[
                    PolicyNode(matchers=m('c="1"')),
                    PolicyNode(matchers=m('c="2"'), mute_timings=["override"]),
                ],
            )
        ],
    )
    child1 = route(tree, {"env": "parent", "c": "1"})[0]
    child2 = route(tree, {"env": "parent", "c": "2"})[0]
    assert child1.mute_timings == ("weekend",) and child1.active_timings == ("office",)
    assert child2.mute_timings == ("override",)
    assert route(tree, {"env": "other"})[0].mute_timings == ()
