"""Load a handler the way Lambda does: its module imported fresh, with exactly its environment."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Callable


def load_handler(handler: str, env: dict[str, str]) -> Callable:
    """`handlers.referrals.click.handler` with `env` applied to this process's environment."""
    module_name, _, attribute = handler.rpartition(".")
    os.environ.update(env)
    sys.modules.pop(module_name, None)
    return getattr(importlib.import_module(module_name), attribute)
