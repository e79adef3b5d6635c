"""Which Powertools for AWS Lambda (Python) layer the stack's functions carry.

AWS publishes the layer in every commercial region, one per runtime and architecture:
`arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:{N}`, and
each release's ARN as a public SSM parameter. That parameter has been missing for some releases
(powertools-lambda-python issues #7689, #7695), and a failed lookup used to abort `pulumi up` with
nothing to go on. So, in order: the ARN pinned in `powertoolsLayerArn`; the release's parameter; the
`latest` parameter, with a warning naming the ARN to pin; only then an error saying what to set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from components.stack.config import LAYER_VERSION_ARN, PROJECT, ConfigError, StackConfig

PUBLISHER = "017000801446"  # the AWS account that publishes the Powertools layers
INSTALL_DOCS = "https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/"
KEY = f"{PROJECT}:powertoolsLayerArn"
OFFICIAL_NAME = re.compile(r"^AWSLambdaPowertoolsPythonV3-(?P<runtime>python\d+)-(?P<architecture>x86_64|arm64)$")


@dataclass(frozen=True)
class Target:
    """Where the functions run: the layer must be built for exactly this."""

    region: str
    runtime: str  # "python3.13"
    architecture: str  # "arm64"

    @property
    def layer_name(self) -> str:
        return f"AWSLambdaPowertoolsPythonV3-{self.runtime.replace('.', '')}-{self.architecture}"

    def example_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{PUBLISHER}:layer:{self.layer_name}:<N>"

    def parameter(self, version: str) -> str:
        return f"/aws/service/powertools/python/{self.architecture}/{self.runtime}/{version}"


def pinned_problems(arn: str, target: Target) -> list[str]:
    """What makes a pinned ARN unusable for these functions (StackConfig has checked its shape)."""
    match = LAYER_VERSION_ARN.match(arn)
    if match is None:
        return [f"{KEY}: {arn!r} is not a layer version ARN such as {target.example_arn()}"]
    problems: list[str] = []
    if match["region"] != target.region:
        # Lambda attaches only layers from the function's own region.
        problems.append(f"{KEY}: {arn} is in {match['region']}, but this stack deploys to {target.region}: "
                        f"use {target.example_arn()}")
    official = OFFICIAL_NAME.match(match["name"])
    if official and official["runtime"] != target.runtime.replace(".", ""):
        problems.append(f"{KEY}: {arn} is built for {official['runtime']}, but the functions run {target.runtime}: "
                        f"use {target.layer_name}")
    if official and official["architecture"] != target.architecture:
        problems.append(f"{KEY}: {arn} is built for {official['architecture']}, but the functions run on "
                        f"{target.architecture}: use {target.layer_name}")
    return problems


# A public parameter's value, or None with the reason it could not be read.
Lookup = Callable[[str], tuple[Optional[str], str]]
Warn = Callable[[str], None]


def layer_arn(cfg: StackConfig, target: Target, lookup: Lookup, warn: Warn) -> str:
    if cfg.powertools_layer_arn:
        problems = pinned_problems(cfg.powertools_layer_arn, target)
        if problems:
            raise ConfigError(problems)
        return cfg.powertools_layer_arn
    wanted = target.parameter(cfg.powertools_version)
    arn, reason = lookup(wanted)
    if arn:
        return arn
    latest = target.parameter("latest")
    if wanted != latest:
        arn, latest_reason = lookup(latest)
        if arn:
            warn(f"{KEY}: the public parameter {wanted} could not be read in {target.region} ({reason}); Powertools "
                 f"has skipped publishing it for some releases. Using {latest}: {arn}. To pin a layer instead, "
                 f"`pulumi config set {KEY} {arn}` (or the ARN for {cfg.powertools_version} from {INSTALL_DOCS}).")
            return arn
        reason = f"{reason}; {latest}: {latest_reason}"
    raise ConfigError([
        f"{KEY}: the Powertools layer could not be looked up in {target.region} ({wanted}: {reason}). Set {KEY} to "
        f"the layer version ARN from the Lambda layer table of {INSTALL_DOCS}: {target.example_arn()}"
    ])
