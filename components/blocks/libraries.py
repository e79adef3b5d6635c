"""The stack's libraries layer: the pure-Python libraries functions import, published once as a
Lambda layer instead of copied into every function's zip (each zip stays within the 256 KB
budget however many libraries a function uses).

A function names what it imports in `FunctionArgs.bundle`; it gets this layer after the
Powertools layer. AWS limits, far off: 50 MB zipped for a directly uploaded layer, 250 MB
unzipped for a function with all its layers, 5 layers per function (we use 2).
"""

from __future__ import annotations

from typing import Sequence

import pulumi
import pulumi_aws as aws

from components.blocks.function import ARCHITECTURE, RUNTIME
from components.stack.context import Context
from components.stack.packaging import layer_archive

# Import names, copied from this environment at the versions requirements.txt pins (phonenumbers
# is the `phonenumberslite` dist). Not dnspython: email_validator imports it only to check
# deliverability, which we never do. Adding one here is how a new library becomes bundleable.
LIBRARIES = ("jinja2", "markupsafe", "itsdangerous", "phonenumbers", "email_validator", "idna")


class Libraries(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        opts: pulumi.ResourceOptions | None = None,
        libraries: Sequence[str] = LIBRARIES,
    ):
        super().__init__("mainstreet:compute:Libraries", name, None, opts)
        self.libraries = tuple(libraries)
        self.layer = aws.lambda_.LayerVersion(
            name,
            layer_name=ctx.naming(name),
            code=layer_archive(self.libraries),
            # The runtime and architecture every Function uses: the layer is pure Python, but a
            # mismatch would make Lambda refuse to attach it.
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"Python libraries for {ctx.naming.project} functions: {', '.join(self.libraries)}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.layer.arn  # the version's ARN, what a function's `layers` takes
        self.register_outputs({"arn": self.arn})

    def layers_for(self, function: str, bundle: Sequence[str]) -> list[pulumi.Output[str]]:
        """The layer ARNs a function importing `bundle` needs: this layer, or none."""
        missing = [library for library in bundle if library not in self.libraries]
        if missing:
            raise ValueError(
                f"function {function!r} bundles {', '.join(map(repr, missing))}, which the libraries layer "
                f"does not provide (it has {', '.join(self.libraries)}): add it to LIBRARIES in "
                "components/blocks/libraries.py and pin it in requirements.txt"
            )
        return [self.arn] if bundle else []
