"""The scheduler's view from inside a task, as in the submitit launcher's example:
``python my_app.py -m task=1,2,3`` (snaptui_local), or add ``hydra/launcher=snaptui_slurm``."""
import logging
import os

import hydra
import submitit
from omegaconf import DictConfig

log = logging.getLogger(__name__)


@hydra.main(version_base=None, config_path=".", config_name="config")
def my_app(cfg: DictConfig) -> int:
    env = submitit.JobEnvironment()  # reads SUBMITIT_* / SLURM_*: snaptui's jobs keep them
    log.info(f"task {cfg.task} in process {os.getpid()}: {env}")
    return cfg.task


if __name__ == "__main__":
    my_app()
