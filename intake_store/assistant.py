"""Where the Rasa side lives and how to start it.

The Rasa server and action server run in their own Python 3.10 environment
(`.venv-rasa`); the app only ever starts them as processes and talks HTTP.
Used by `hotline run`, `hotline train` and the test fixtures.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_ENV = ROOT / ".venv-rasa"
RASA_PYTHON = RASA_ENV / "bin" / "python"
RASA_BIN = RASA_ENV / "bin" / "rasa"
MODELS_DIR = ROOT / "models"
MODEL_NAME = "hotline"
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "bot" / "domain.yml"
TRAIN_DATA = [ROOT / "nlu_data" / "train", ROOT / "bot" / "data"]
TEST_DATA = ROOT / "nlu_data" / "test"
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
CREDENTIALS = ROOT / "bot" / "credentials.yml"


class AssistantUnavailable(RuntimeError):
    """The Rasa environment or the trained model is missing."""


LOOPBACK = "127.0.0.1"


def rasa_env(host: str = LOOPBACK) -> dict[str, str]:
    """Environment for processes in the rasa env: repo root importable (custom
    NLU components, actions), no telemetry, no hub downloads, and the action
    server bound to `host` (rasa_sdk reads SANIC_HOST; its default is every
    interface, and the action server files tickets with the service token)."""
    env = dict(os.environ)
    env["SANIC_HOST"] = host
    env["PYTHONPATH"] = str(ROOT)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env["HF_HUB_OFFLINE"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["SQLALCHEMY_SILENCE_UBER_WARNING"] = "1"
    return env


def require_rasa_env() -> None:
    if not RASA_BIN.exists():
        raise AssistantUnavailable(
            "The Rasa environment is missing: run 'make rasa-env' (it needs Python 3.10)."
        )


def model_path() -> Path:
    return MODELS_DIR / f"{MODEL_NAME}.tar.gz"


def train_command() -> list[str]:
    return [
        str(RASA_BIN), "train",
        "--config", str(CONFIG),
        "--domain", str(DOMAIN),
        "--data", *[str(p) for p in TRAIN_DATA],
        "--out", str(MODELS_DIR),
        "--fixed-model-name", MODEL_NAME,
    ]


def train(quiet: bool = False) -> Path:
    """Train the model; Rasa skips the work when data and config did not change."""
    require_rasa_env()
    out = subprocess.DEVNULL if quiet else None
    subprocess.run(train_command(), cwd=ROOT, env=rasa_env(), check=True, stdout=out)
    return model_path()


def ensure_model() -> Path:
    if not model_path().exists():
        train(quiet=True)
    return model_path()


def server_command(port: int = 5005, endpoints: Path | None = None, *, host: str = LOOPBACK,
                   api_token: str | None = None) -> list[str]:
    """`rasa run` on `host` only. Rasa's HTTP API (trackers with everything a
    citizen typed, models, talking as any sender) stays off; with `api_token`
    it is on and every call needs the token. The REST channel the gateway
    uses is there either way."""
    api = ["--enable-api", "--auth-token", api_token] if api_token else []
    return [
        str(RASA_BIN), "run",
        "--model", str(model_path()),
        *api,
        "--interface", host,
        "--port", str(port),
        "--endpoints", str(endpoints or ENDPOINTS),
        "--credentials", str(CREDENTIALS),
    ]


def action_server_command(port: int = 5055) -> list[str]:
    """Bound to the host given to `rasa_env` (SANIC_HOST)."""
    return [str(RASA_BIN), "run", "actions", "--actions", "actions", "--port", str(port)]


if __name__ == "__main__":  # pragma: no cover - convenience
    sys.exit(subprocess.call(train_command(), cwd=ROOT, env=rasa_env()))
