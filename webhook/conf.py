"""Typed, lazily read webhook settings (so ``override_settings`` works in tests)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings as django_settings


class WebhookSettings:
    def _get(self, name: str, default):
        return getattr(django_settings, f"WEBHOOK_{name}", default)

    @property
    def API_TOKEN(self) -> str:
        return self._get("API_TOKEN", "")

    @property
    def MAX_BODY_BYTES(self) -> int:
        return int(self._get("MAX_BODY_BYTES", 64 * 1024 * 1024))

    @property
    def MAX_JSON_DEPTH(self) -> int:
        return int(self._get("MAX_JSON_DEPTH", 64))

    @property
    def BODY_TIMEOUT_SECONDS(self) -> float:
        return float(self._get("BODY_TIMEOUT_SECONDS", 30))

    @property
    def MAX_BUFFERED_BYTES(self) -> int:
        return int(self._get("MAX_BUFFERED_BYTES", 256 * 1024 * 1024))

    @property
    def MAX_JSON_NODES(self) -> int:
        return int(self._get("MAX_JSON_NODES", 200_000))

    @property
    def REJECTED_BODY_QUOTA_BYTES(self) -> int:
        return int(self._get("REJECTED_BODY_QUOTA_BYTES", 64 * 1024 * 1024))

    @property
    def REJECTED_BODY_QUOTA_PER_SOURCE_BYTES(self) -> int:
        return int(self._get("REJECTED_BODY_QUOTA_PER_SOURCE_BYTES", 8 * 1024 * 1024))

    @property
    def REQUIRE_TOKEN(self) -> bool:
        return bool(self._get("REQUIRE_TOKEN", True))

    @property
    def FALLBACK_CLIENT(self) -> bool:
        return bool(self._get("FALLBACK_CLIENT", django_settings.DEBUG))

    @property
    def IP_ALLOWLIST(self) -> list[str]:
        return list(self._get("IP_ALLOWLIST", []))

    @property
    def TRUSTED_PROXIES(self) -> list[str]:
        return list(self._get("TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"]))

    @property
    def META_APP_SECRET(self) -> str:
        return self._get("META_APP_SECRET", "")

    @property
    def META_VERIFY_TOKEN(self) -> str:
        return self._get("META_VERIFY_TOKEN", "")

    @property
    def GATEWAY_TZ(self) -> str:
        return self._get("GATEWAY_TZ", "America/Sao_Paulo")

    @property
    def APPLY_MODE(self) -> str:
        return self._get("APPLY_MODE", "inline")

    @property
    def PROCESSING(self) -> str:
        return str(self._get("PROCESSING", "embedded")).strip().lower() or "embedded"

    @property
    def QUEUE_LEASE_SECONDS(self) -> float:
        return float(self._get("QUEUE_LEASE_SECONDS", 30))

    @property
    def QUEUE_MAX_ATTEMPTS(self) -> int:
        return max(1, int(self._get("QUEUE_MAX_ATTEMPTS", 6)))

    @property
    def QUEUE_PUBLISH_TIMEOUT(self) -> float:
        return float(self._get("QUEUE_PUBLISH_TIMEOUT", 1))

    @property
    def QUEUE_PUBLISH_BUFFER(self) -> int:
        return max(1, int(self._get("QUEUE_PUBLISH_BUFFER", 2000)))

    @property
    def APPLY_CHUNK(self) -> int:
        """Events per applier transaction; 0: the applier's default (webhook.applier)."""
        return int(self._get("APPLY_CHUNK", 0))

    @property
    def APPLY_IDLE(self) -> float:
        """Seconds the applier lets events accumulate after a chunk that was not full."""
        return float(self._get("APPLY_IDLE", 0.05))

    @property
    def SPOOL_DIR(self) -> str:
        return self._get("SPOOL_DIR", str(Path(django_settings.BASE_DIR) / "spool"))

    @property
    def PORT(self) -> int:
        return int(self._get("PORT", 5000))

    @property
    def HOST(self) -> str:
        return self._get("HOST", "0.0.0.0")  # noqa: S104

    @property
    def WORKERS(self) -> int:
        return int(self._get("WORKERS", 0))

    @property
    def THREADS(self) -> int:
        return int(self._get("THREADS", 32))

    @property
    def SERVER(self) -> str:
        return self._get("SERVER", "")

    @property
    def RECEIVER_NICE(self) -> int:
        return int(self._get("RECEIVER_NICE", 12))

    @property
    def MEDIA_FETCH(self) -> bool:
        return bool(self._get("MEDIA_FETCH", True))

    @property
    def MEDIA_MAX_BYTES(self) -> int:
        return int(self._get("MEDIA_MAX_BYTES", 100 * 1024 * 1024))

    @property
    def MEDIA_ALLOWED_HOSTS(self) -> list[str]:
        return [h.lower() for h in self._get("MEDIA_ALLOWED_HOSTS", [])]

    @property
    def MEDIA_ALLOWED_NETWORKS(self) -> list[str]:
        return list(self._get("MEDIA_ALLOWED_NETWORKS", []))

    @property
    def MEDIA_CONCURRENCY(self) -> int:
        return max(1, int(self._get("MEDIA_CONCURRENCY", 4)))

    @property
    def MEDIA_MAX_ATTEMPTS(self) -> int:
        return max(1, int(self._get("MEDIA_MAX_ATTEMPTS", 6)))

    @property
    def MEDIA_TIMEOUT(self) -> float:
        return float(self._get("MEDIA_TIMEOUT", 30))

    @property
    def MEDIA_RETRY_BASE_SECONDS(self) -> float:
        return float(self._get("MEDIA_RETRY_BASE_SECONDS", 30))

    @property
    def META_GRAPH_URL(self) -> str:
        return self._get("META_GRAPH_URL", "https://graph.facebook.com/v21.0").rstrip("/")

    @property
    def WHATSAPP_CDN_URL(self) -> str:
        return self._get("WHATSAPP_CDN_URL", "https://mmg.whatsapp.net").rstrip("/")

    # --- Operating it: probes, metrics, retention ---
    @property
    def READY_TIMEOUT_SECONDS(self) -> float:
        """Seconds /readyz waits for the database's answer."""
        return float(self._get("READY_TIMEOUT_SECONDS", 2))

    @property
    def METRICS_TOKEN(self) -> str:
        """Bearer token /metrics asks for; empty: open to loopback clients only."""
        return self._get("METRICS_TOKEN", "")

    @property
    def METRICS_DIR(self) -> str:
        """PROMETHEUS_MULTIPROC_DIR when the operator gives it (webhook.metrics)."""
        return self._get("METRICS_DIR", "")

    @property
    def RETENTION_RAW_DAYS(self) -> int:
        """Days a settled event keeps its raw body (webhook.retention); 0: forever."""
        return max(0, int(self._get("RETENTION_RAW_DAYS", 90)))


webhook_settings = WebhookSettings()
