"""Imported once by a warm local slot (``preload.py``): what every Hydra job imports before its task runs
(``job.py``): Hydra's composition, override parser and job running, cloudpickle, submitit, and every
installed Hydra plugin, discovered once. Hydra's plugin scan skips this module (its name starts with ``_``), so an
app that merely starts Hydra does not import it."""
import sys

import cloudpickle  # noqa: F401
import hydra_plugins
import submitit  # noqa: F401
from hydra._internal.config_loader_impl import ConfigLoaderImpl  # noqa: F401
from hydra._internal.utils import create_automatic_config_search_path  # noqa: F401
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import run_job  # noqa: F401

OverridesParser.create()  # the grammar's parser and lexer (antlr4), as a job's composition makes them
# Every plugin module and what it imports; a job forked from the slot keeps this discovery when its own
# plugin path is the same (job.restore_singletons), instead of running every plugin module again.
Plugins.instance().snaptui_scanned = list(hydra_plugins.__path__)  # type: ignore[attr-defined]
# The job module is what each job runs as `python -m`: not loaded before it (runpy would warn), as in a fresh
# process, where the plugin scan imports it only after it started.
sys.modules.pop("hydra_plugins.snaptui_launcher.job", None)
