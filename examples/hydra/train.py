"""A plain Hydra app: nothing in it knows about snaptui."""
import logging
import math

import hydra
from omegaconf import DictConfig

log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def train(cfg: DictConfig) -> float:
    loss = 1.0
    for epoch in range(cfg.epochs):
        loss *= math.exp(-cfg.lr * (1 + cfg.seed % 3) / 10)
        log.info(f"epoch {epoch}: loss {loss:.4f}")
    if cfg.lr > 1:
        raise ValueError(f"lr={cfg.lr} diverges")  # a FAILED job in snaptui, not a silent success
    return loss  # handed to the sweeper (e.g. Optuna) and shown as return_value in snaptui


if __name__ == "__main__":
    train()
