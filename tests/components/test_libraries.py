"""The libraries layer: one per stack, holding what functions import, so each function's own zip
is its handler code alone and stays within the 256 KB budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.blocks.function import ARCHITECTURE, RUNTIME
from components.blocks.libraries import LIBRARIES
from components.stack.packaging import zipped_size
from ops import harness

from tests.components.graphs import LAMBDA, functions

LAYER = "aws:lambda/layerVersion:LayerVersion"
POWERTOOLS = ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:"
MAX_ARTIFACT = 256 * 1024


def files_of(resource) -> dict[str, Path]:
    return {name: Path(asset.path) for name, asset in resource.inputs["code"].assets.items()}


def test_one_libraries_layer_per_stack_for_the_functions_runtime_and_architecture(graph):
    (layer,) = graph.of_type(LAYER)
    assert layer.inputs["layerName"] == f"mainstreet-{graph.stack}-libraries"
    assert layer.inputs["compatibleRuntimes"] == [RUNTIME]
    assert layer.inputs["compatibleArchitectures"] == [ARCHITECTURE]
    assert {fn.inputs["runtime"] for fn in functions(graph)} == {RUNTIME}


def test_every_artifact_is_its_handler_code_alone_within_256_kb(graph):
    for fn in functions(graph):
        files = files_of(fn)
        # Handler code and the sites' 404 page (staff-session answers it), no library bundled.
        assert {name.split("/")[0] for name in files} == {"handlers", "site"}, fn.name
        assert [name for name in files if name.startswith("site/")] == ["site/_shared/404.html"], fn.name
        assert zipped_size(files) <= MAX_ARTIFACT, fn.name


def test_functions_with_a_bundle_carry_powertools_then_the_libraries_layer(graph):
    (layer,) = graph.of_type(LAYER)
    with_bundle = 0
    for fn in functions(graph):
        layers = fn.inputs["layers"]
        assert POWERTOOLS in layers[0], fn.name
        if len(layers) > 1:
            with_bundle += 1
            assert layers == [layers[0], layer.outputs["arn"]], fn.name
    assert with_bundle >= 10  # every HTTP function, at least


def test_every_http_function_can_read_phones_and_emails(graph):
    (layer,) = graph.of_type(LAYER)
    urls = {u.inputs["functionName"] for u in graph.of_type("aws:lambda/functionUrl:FunctionUrl")}
    http = [fn for fn in functions(graph) if fn.inputs["name"] in urls]
    assert http
    for fn in http:
        assert layer.outputs["arn"] in fn.inputs["layers"], fn.name


def test_the_layer_holds_the_libraries_in_pythons_layer_layout_without_dns(dev_graph):
    (layer,) = dev_graph.of_type(LAYER)
    files = files_of(layer)
    for path in ("python/phonenumbers/data/region_US.py", "python/email_validator/__init__.py",
                 "python/jinja2/__init__.py", "python/idna/__init__.py", "python/markupsafe/__init__.py",
                 "python/itsdangerous/__init__.py"):
        assert path in files, path
    assert {name.split("/")[1] for name in files} == set(LIBRARIES)
    assert {name.split("/")[0] for name in files} == {"python"}
    assert not any(name.startswith("python/dns/") for name in files)  # email_validator only needs it for deliverability
    assert not any(name.endswith((".pyc", ".pyi", ".so")) or "/__pycache__/" in name for name in files)
    # AWS: 50 MB zipped for a direct upload, 250 MB unzipped for a function with its layers.
    assert zipped_size(files) <= 50 * 1024 * 1024
    assert sum(p.stat().st_size for p in files.values()) <= 200 * 1024 * 1024


def test_a_bundle_the_layer_does_not_provide_fails_at_program_time(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "from components.blocks.function import FunctionArgs\n"
        "from components.stack import config\n"
        "from components.systems.platform import Platform\n"
        "loaded = config.from_pulumi()\n"
        "platform = Platform('platform', loaded.settings, loaded.secrets)\n"
        "try:\n"
        "    platform.function('qr', FunctionArgs(handler='handlers.dispatch.board.handler', bundle=('segno',)))\n"
        "finally:\n"
        "    platform.finish()  # sites wait for it: without it the run would never end\n"
    )
    with pytest.raises(ValueError, match=r"function 'qr' bundles 'segno', which the libraries layer does not provide"):
        harness.run("dev", program=program)
