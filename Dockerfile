# elasticache-operator image. Build: docker build -t elasticache-operator:0.1.0 .
# Multi-stage: the build stage resolves pinned wheels into a venv; the final stage has no
# compilers or pip caches, runs as a numeric non-root user and writes nothing outside /tmp.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/python -c "import elasticache_operator.handlers" \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="elasticache-operator" \
      org.opencontainers.image.description="RedisCluster custom resources as Amazon ElastiCache replication groups" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
USER 65532:65532
EXPOSE 8000 8080
ENTRYPOINT ["python", "-m", "elasticache_operator"]
