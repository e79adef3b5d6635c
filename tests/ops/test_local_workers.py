"""Worker environments behave like Lambda's: the declared environment only, init errors
reported on every call, one request at a time per environment."""

from __future__ import annotations

import os

from ops.harness import ROOT
from ops.local.events import function_url_event
from ops.local.workers import FunctionSpec, Pool


def runtime_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"], "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-2",
            "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}


def test_a_handler_without_its_links_reports_the_missing_link_on_every_call(dev_graph):
    fn = dev_graph.named("aws:lambda/function:Function", "referral-click")
    env = {k: v for k, v in fn.inputs["environment"]["variables"].items() if k != "REFERRAL_STATS_TABLE"}
    logged = []
    pool = Pool({"click": FunctionSpec("click", "click", fn.inputs["handler"], env)}, runtime_env(), lambda f, line: logged.append(line))
    try:
        for _ in range(2):
            reply = pool.invoke("click", function_url_event("GET", "/ref/solare"))
            assert reply.error.startswith("Runtime.ImportModuleError: MissingLink")
            assert "REFERRAL_STATS_TABLE is not set: link the referral-stats table" in reply.error
    finally:
        pool.stop()


def test_the_environment_is_exactly_the_declared_one_plus_the_runtimes(tmp_path, monkeypatch):
    (tmp_path / "env_probe.py").write_text("import os\n\ndef handler(event, context):\n    return dict(os.environ)\n")
    monkeypatch.setenv("SHOULD_NOT_LEAK", "1")
    runtime = {**runtime_env(), "PYTHONPATH": f"{ROOT}:{tmp_path}"}
    pool = Pool({"probe": FunctionSpec("probe", "ms-probe", "env_probe.handler", {"ONLY_THIS": "yes"})}, runtime, lambda f, line: None)
    try:
        env = pool.invoke("probe", {}).result
    finally:
        pool.stop()
    assert env["ONLY_THIS"] == "yes" and env["AWS_LAMBDA_FUNCTION_NAME"] == "ms-probe"
    assert "SHOULD_NOT_LEAK" not in env
