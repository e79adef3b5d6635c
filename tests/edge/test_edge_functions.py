"""Every CloudFront Function in edge/, under njs, against its table of request fixtures."""

from __future__ import annotations

import pytest

from ops import edge

NAMES = edge.names()


def test_every_edge_function_has_a_fixture_table_and_every_table_a_function():
    assert NAMES
    tables = sorted(p.stem for p in edge.FIXTURES.glob("*.json"))
    assert tables == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_edge_function_fits_cloudfronts_size_limit(name):
    assert len(edge.source(name).encode()) <= edge.MAX_BYTES


@pytest.mark.parametrize("name", NAMES)
def test_edge_function_answers_its_fixtures(name):
    cases = edge.fixtures(name)
    assert len(cases) >= 3
    results = edge.run(edge.source(name), [edge.viewer_request(case["request"]) for case in cases])
    failures = {case["name"]: problems for case, result in zip(cases, results) if (problems := edge.check(case["expect"], result))}
    assert not failures


def test_njs_rejects_what_cloudfront_rejects():
    """The point of njs: a `class` would pass quickjs and fail on CloudFront."""
    with pytest.raises(edge.EdgeError):
        edge.run("class Rewrite {}\nfunction handler(event) { return event.request; }", [edge.viewer_request({"uri": "/"})])


def test_a_wrong_expectation_is_reported():
    results = edge.run(edge.source("pages"), [edge.viewer_request({"uri": "/a/"})])
    assert edge.check({"uri": "/b/index.html"}, results[0]) == ["uri '/a/index.html' != '/b/index.html'"]
