"""The Powertools layer: a missing public SSM parameter never aborts a run without saying what to set."""

from __future__ import annotations

import logging

import pytest

from components.stack import config
from ops import harness

from tests.components.graphs import functions

PARAMETER = "/aws/service/powertools/python/arm64/python3.13/"
RELEASE = PARAMETER + "3.37.0"
LATEST = PARAMETER + "latest"
PINNED = "arn:aws:lambda:us-west-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:7"


def powertools_layers(graph) -> set[str]:
    return {fn.inputs["layers"][0] for fn in functions(graph)}


def test_by_default_the_release_parameter_names_the_layer(dev_graph):
    assert powertools_layers(dev_graph) == {
        "arn:aws:lambda:us-west-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:3.37.0"}


def test_a_missing_release_parameter_falls_back_to_latest_and_says_what_to_pin(monkeypatch, caplog):
    monkeypatch.setattr(harness, "MISSING_PARAMETERS", {RELEASE})
    with caplog.at_level(logging.WARNING):
        graph = harness.run("dev")
    (layer,) = powertools_layers(graph)
    assert layer.endswith("AWSLambdaPowertoolsPythonV3-python313-arm64:latest")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(RELEASE in w and "mainstreet:powertoolsLayerArn" in w and f"pulumi config set mainstreet:powertoolsLayerArn {layer}" in w
               for w in warnings), warnings


def test_no_parameter_at_all_is_a_config_error_saying_what_to_set(monkeypatch):
    monkeypatch.setattr(harness, "MISSING_PARAMETERS", {RELEASE, LATEST})
    with pytest.raises(config.ConfigError) as caught:
        harness.run("dev")
    (problem,) = caught.value.problems
    assert problem.startswith("mainstreet:powertoolsLayerArn:") and RELEASE in problem and "ParameterNotFound" in problem
    assert "arn:aws:lambda:us-west-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:<N>" in problem


def test_a_pinned_arn_is_attached_as_is_and_nothing_is_looked_up(monkeypatch):
    monkeypatch.setattr(harness, "MISSING_PARAMETERS", {RELEASE, LATEST})
    graph = harness.run("dev", overrides={"powertoolsLayerArn": PINNED})
    assert powertools_layers(graph) == {PINNED}


@pytest.mark.parametrize("arn, says", [
    (PINNED.replace("us-west-2", "us-east-1"), "is in us-east-1, but this stack deploys to us-west-2"),
    (PINNED.replace("arm64", "x86_64"), "built for x86_64, but the functions run on arm64"),
    (PINNED.replace("python313", "python312"), "built for python312, but the functions run python3.13"),
])
def test_a_pinned_arn_for_another_region_architecture_or_runtime_is_refused(arn, says):
    with pytest.raises(config.ConfigError) as caught:
        harness.run("dev", overrides={"powertoolsLayerArn": arn})
    (problem,) = caught.value.problems
    assert problem.startswith("mainstreet:powertoolsLayerArn:") and says in problem


@pytest.mark.parametrize("arn", [
    "arn:aws:lambda:us-west-2:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64",  # no version
    "AWSLambdaPowertoolsPythonV3-python313-arm64:7",
    "arn:aws:lambda:us-west-2:017000801446:function:powertools:7",
])
def test_a_malformed_layer_arn_is_a_config_problem_naming_the_key(arn):
    raw = {key: harness._encode(value) for key, value in harness.project_defaults().items()}
    raw["powertoolsLayerArn"] = arn
    with pytest.raises(config.ConfigError) as caught:
        config.load(raw, {"serviceKeyHash": "y", "posHmacSecret": "z"})
    assert any(p.startswith("mainstreet:powertoolsLayerArn:") and "version number at the end" in p
               for p in caught.value.problems), caught.value.problems
