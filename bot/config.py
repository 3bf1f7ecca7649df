"""Settings, read from the environment and ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import re
import socket
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


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
    hf_timeout_seconds: float = 20.0
    hf_max_retries: int = 4
    hf_page_size: int = 50
    hf_refresh_minutes: int = 30

    # defaults for new subscriptions
    default_timezone: str = "UTC"
    default_post_time: str = "09:00"
    default_language: str = "en"
    default_style: str = "compact"
    default_top_n: int = 10
    catchup_hours: int = 12
    # a chat that cannot be reached on this many different digest days is deactivated
    deactivate_after_failed_days: int = Field(default=3, ge=1, le=60)
    delivery_concurrency: int = 8

    # Telegram
    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    # paid broadcasts: the morning post sends allow_paid_broadcast and is paced at this rate
    telegram_paid_broadcast: bool = False
    telegram_paid_broadcast_rate: int = Field(default=1000, ge=1, le=1000)

    # where the send pace of a bot token lives: shared through PostgreSQL, or per process
    pace_backend: Literal["auto", "memory", "database"] = "auto"

    # Discord
    discord_bot_token: str | None = None
    discord_api_base_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_guild_id: int | None = None

    # LLM summaries (OpenAI-compatible chat completions)
    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout_seconds: float = 60.0
    llm_concurrency: int = 4
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
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    tick_seconds: int = 60

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
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value

    @field_validator("default_post_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("post time must be HH:MM (24-hour)")
        return value

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
