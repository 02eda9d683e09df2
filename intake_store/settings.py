"""One settings object, read from the environment (and `.env` if present)."""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite under var/ by default; postgresql+psycopg://... in production.
    database_url: str = f"sqlite:///{VAR_DIR / 'hotline.db'}"
    host: str = "127.0.0.1"
    port: int = 8000
    # Token the Rasa actions use; also accepted from the api_token table.
    hotline_service_token: str | None = None
    # Server secret behind the query codes; kept in var/secret when not given.
    hotline_secret: str | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 5000
    outbox_poll_seconds: float = 2.0

    def secret(self) -> str:
        if self.hotline_secret:
            return self.hotline_secret
        path = VAR_DIR / "secret"
        if not path.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
