# One image for every Smileback service; the command picks the service:
#   docker run IMAGE scorer | alerts | api | ingest webhook | ingest replay --input /data/mentions.jsonl
# Build from the repository root: docker build -t smileback:0.1.0 .

# Stage 1, the builder: uv installs the locked dependencies, then the project itself, into a
# virtual environment that the runtime stage copies whole. Build tools stay in this stage.
FROM python:3.11-slim AS builder
RUN pip install --no-cache-dir --disable-pip-version-check "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    VIRTUAL_ENV=/opt/smileback
WORKDIR /src
COPY pyproject.toml uv.lock ./
# The lock as hashed requirements: the image gets exactly the locked versions, no [train] extra.
RUN uv venv /opt/smileback
RUN uv export --frozen --no-dev --no-emit-project --python 3.11 -o requirements.txt
RUN uv pip install --require-hashes -r requirements.txt
COPY README.md ./
COPY libs ./libs
COPY services ./services
# Runtime only: the demo package is removed and tools/ (training, corpus) is never copied; hatch
# leaves a listed package folder that is absent out of the wheel. tests/test_runtime_install.py
# builds the wheel from these same steps.
RUN rm -rf services/cli/smileback/cli/demo
# Dependencies came from the lock above; this installs only the smileback distribution itself.
RUN uv pip install --no-deps .

# Stage 2, the runtime: the same slim Python, the virtual environment, nothing else.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/smileback/bin:$PATH
COPY --from=builder /opt/smileback /opt/smileback
COPY deploy/docker/entrypoint.sh /usr/local/bin/smileback-entrypoint
COPY deploy/docker/healthcheck.py /usr/local/bin/smileback-healthcheck

# Non-root, with a writable home as the working directory. The scorer keeps its RocksDB tables
# in a directory of its own under $TMPDIR, or in SMILEBACK_SCORER_DATA_DIR: docker-compose.yml
# mounts a volume on /var/lib/smileback/scorer, which a new volume takes its owner from.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/smileback smileback
RUN install -d -o smileback -g smileback /var/lib/smileback/scorer
WORKDIR /var/lib/smileback
USER 10001:10001

# Listen on all interfaces inside the container (the defaults are 127.0.0.1).
ENV SMILEBACK_API_HOST=0.0.0.0 \
    SMILEBACK_METRICS_HOST=0.0.0.0 \
    SMILEBACK_INGEST_WEBHOOK_HOST=0.0.0.0
# api 8000; scorer and alerts 9100 (/metrics, /healthz, /readyz); ingest webhook 8090.
EXPOSE 8000 8090 9100
# Liveness of whichever service runs, on the port its own settings give (see healthcheck.py);
# docker-compose.yml checks readiness instead. `ingest replay` serves no probe: run it with
# --no-healthcheck or as a job.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["smileback-healthcheck"]
ENTRYPOINT ["smileback-entrypoint"]
CMD ["--help"]
