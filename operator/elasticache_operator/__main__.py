"""`python -m elasticache_operator`: run the operator with the settings from the environment."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

import kopf

from . import metrics
from .settings import Settings


def main() -> None:
    settings = Settings()
    kopf.configure(
        verbose=settings.log_level == "DEBUG",
        quiet=settings.log_level in ("WARNING", "ERROR"),
        log_format=kopf.LogFormat.JSON if settings.log_format == "json" else kopf.LogFormat.FULL,
    )
    logging.getLogger().setLevel(settings.log_level)
    try:
        metrics.serve(settings.metrics_port, version("elasticache-operator"))
    except PackageNotFoundError:
        metrics.serve(settings.metrics_port, "unknown")
    from . import handlers  # noqa: F401 - registers the handlers

    kopf.run(
        standalone=settings.standalone,
        clusterwide=not settings.namespaces,
        namespaces=settings.namespaces,
        liveness_endpoint=f"http://0.0.0.0:{settings.health_port}/healthz" if settings.health_port else None,
    )


if __name__ == "__main__":
    main()
