"""Fixtures every test directory shares: safe AWS settings and the program's graph per stack."""

from __future__ import annotations

import os

import pytest

from ops import harness

# No test may reach a real AWS account, whatever the machine has configured.
for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(key, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-west-2",
    AWS_REGION="us-west-2",
    POWERTOOLS_DEV="false",
    POWERTOOLS_LOG_LEVEL="WARNING",
)



def _one_moto_signing_key() -> None:
    """moto gives every user pool it makes the same bundled RSA key, importing it anew each time
    (about 0.1 s of RSA checks): with a pool in every handler test's stack that was most of a
    minute of `make test`. Import it once; each pool still gets that same key."""
    import json
    from functools import lru_cache

    from moto.cognitoidp import models

    imported = lru_cache(maxsize=4)(lambda text: original(json.loads(text)))
    original = models.jwk.RSAKey.import_key

    class Keys:
        @staticmethod
        def import_key(data, *args, **kwargs):
            if args or kwargs or not isinstance(data, dict):
                return original(data, *args, **kwargs)
            return imported(json.dumps(data, sort_keys=True))

    models.jwk = type("jwk", (), {"RSAKey": Keys})


_one_moto_signing_key()
_graphs: dict[str, harness.Graph] = {}


def stack_graph(stack: str) -> harness.Graph:
    """The program run once per stack per session (about a second each)."""
    if stack not in _graphs:
        _graphs[stack] = harness.run(stack)
    return _graphs[stack]


@pytest.fixture(scope="session")
def dev_graph() -> harness.Graph:
    return stack_graph("dev")


@pytest.fixture(scope="session")
def prod_graph() -> harness.Graph:
    return stack_graph("prod")


@pytest.fixture(scope="session", params=["dev", "prod"])
def graph(request) -> harness.Graph:
    return stack_graph(request.param)
