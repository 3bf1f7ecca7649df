"""Settings, read from the environment and ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import re
import socket
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# fields whose value is a secret: never echoed in an error line
SECRET_FIELDS = frozenset(
    {
        "telegram_bot_token",
        "discord_bot_token",
        "llm_api_key",
        "hf_token",
        "telegram_webhook_secret",
    }
)


class Settings(BaseSettings):
    """Every knob of the bot. Names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,  # "HF_TOKEN=" in a copied .env.example means "not set"
    )

    # storage
    database_url: str = "sqlite:///dailypapers.db"

    # Hugging Face
    hf_api_base_url: str = "https://huggingface.co"
    hf_token: str | None = None
    hf_timeout_seconds: float = Field(20.0, gt=0, le=600)
    hf_max_retries: int = Field(4, ge=0, le=20)
    hf_page_size: int = Field(50, ge=1, le=100)
    hf_refresh_minutes: int = Field(30, ge=1, le=1440)
    # an interactive command waits this long for Hugging Face, then answers from the archive
    hf_command_wait_seconds: float = Field(3.0, gt=0, le=120)
    # HF requests chat commands may make per 5 minutes (HF allows 500 anonymous): the rest of
    # the quota is kept for the clock's morning fetch
    hf_interactive_requests_per_5_minutes: int = Field(250, ge=1, le=100_000)

    # per chat and per user limit on commands that may fetch from Hugging Face (token bucket)
    command_rate_per_minute: float = Field(6.0, gt=0, le=6000)
    command_burst: int = Field(10, ge=1, le=1000)

    # defaults for new subscriptions
    default_timezone: str = "UTC"
    default_post_time: str = "09:00"
    default_language: str = "en"
    default_style: Literal["compact", "cards"] = "compact"
    default_top_n: int = Field(10, ge=1, le=50)
    catchup_hours: int = Field(12, ge=1, le=24)
    # a chat that cannot be reached on this many different digest days is deactivated
    deactivate_after_failed_days: int = Field(default=3, ge=1, le=60)
    delivery_concurrency: int = Field(8, ge=1, le=256)

    # Telegram
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: Port = 8443
    # how long a send waits for Telegram's answer before its fate is "unknown" (not resent)
    telegram_send_timeout_seconds: float = Field(30.0, gt=0, le=600)
    # paid broadcasts: the morning post sends allow_paid_broadcast and is paced at this rate
    telegram_paid_broadcast: bool = False
    telegram_paid_broadcast_rate: int = Field(default=1000, ge=1, le=1000)

    # where the send pace of a bot token lives: shared through PostgreSQL, or per process
    pace_backend: Literal["auto", "memory", "database"] = "auto"

    # Discord
    discord_bot_token: str | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_guild_id: int | None = Field(None, ge=1)

    # LLM summaries (OpenAI-compatible chat completions)
    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout_seconds: float = Field(60.0, gt=0, le=3600)
    llm_concurrency: int = Field(4, ge=1, le=256)
    # the summariser's input: the paper's own text from arXiv, within a token budget
    llm_input_tokens: int = Field(default=6000, ge=1000, le=1_000_000)
    # USD (or any currency) per million tokens, for the estimated cost in `summaries stats`
    llm_price_input: float | None = Field(default=None, ge=0)
    llm_price_output: float | None = Field(default=None, ge=0)
    fulltext: bool = True
    arxiv_base_url: str = "https://arxiv.org"
    arxiv_delay_seconds: float = Field(default=3.0, ge=0, le=600)
    arxiv_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    arxiv_max_retries: int = Field(default=3, ge=1, le=10)
    arxiv_max_mb: float = Field(default=20.0, gt=0, le=1000)

    # personal ranking (/settings rank personal)
    rank_backend: Literal["tfidf", "embeddings"] = "tfidf"
    rank_embeddings_model: str | None = None
    rank_cache_size: int = Field(default=256, ge=1, le=100_000)

    # operators
    bot_admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: LogLevel = "INFO"
    log_format: Literal["text", "json"] = "text"
    tick_seconds: int = Field(60, ge=1, le=3600)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("default_style", mode="before")
    @classmethod
    def _lower_style(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "hf_api_base_url",
        "telegram_api_base_url",
        "discord_api_base_url",
        "llm_base_url",
        "telegram_webhook_url",
        "arxiv_base_url",
    )
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_ws_url(cls, value: str) -> str:
        if not re.match(r"^wss?://[^\s/]+", value):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "must be a database URL: sqlite:///file.db or postgresql://user:pass@host/db"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_secret(cls, value: str | None) -> str | None:
        # Telegram: 1-256 characters, only A-Z, a-z, 0-9, _ and -
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    # the operator's HTTP server: /healthz and /metrics (HTTP_PORT=0 turns it off)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)

    # several instances (see README, "Running more than one")
    instance_id: str | None = Field(default=None, max_length=128)  # None: the host name
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=300)
    lease_seconds: float = Field(default=30.0, gt=0, le=600)

    @field_validator("bot_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return [str(value)]
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [str(v) for v in value]
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        from bot.timezones import canonical_timezone

        canonical = canonical_timezone(value)
        if canonical is None:
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. UTC, Europe/Berlin)")
        return canonical

    @field_validator("default_post_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("post time must be HH:MM (24-hour)")
        return value

    def secret_values(self) -> list[str | None]:
        """The values no log line or message may show (tokens, keys, the DB password)."""
        from bot.redact import url_password

        values: list[str | None] = [getattr(self, name) for name in sorted(SECRET_FIELDS)]
        return [*values, url_password(self.database_url)]

    @model_validator(mode="after")
    def _lease_outlives_heartbeats(self) -> Settings:
        if self.lease_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("LEASE_SECONDS must be at least twice HEARTBEAT_SECONDS")
        return self

    @property
    def instance_name(self) -> str:
        """This process's identity among several (``INSTANCE_ID``, else the host name)."""
        return self.instance_id or socket.gethostname()

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model)
