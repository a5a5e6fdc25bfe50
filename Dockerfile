# One image for every Smileback service; the command picks the service:
#   docker run IMAGE scorer | alerts | api | ingest replay --input /data/mentions.jsonl
# Build from the repository root: docker build -t smileback:0.1.0 .

# Stage 1: turn uv.lock into a hashed requirements file, so the image gets the locked versions.
FROM python:3.11-slim AS lock
RUN pip install --no-cache-dir --disable-pip-version-check "uv==0.13.9"
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-emit-project --python 3.11 -o requirements.txt

# Stage 2: the runtime image.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY --from=lock /src/requirements.txt ./
RUN pip install --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY libs ./libs
COPY services ./services
# Runtime only: the demo package is removed and tools/ (training, corpus) is never copied; hatch
# leaves a listed package folder that is absent out of the wheel. The lock above has no [train]
# extra either. tests/test_runtime_install.py builds the wheel from these same steps.
RUN rm -rf services/cli/smileback/cli/demo
# Dependencies came from the lock above; this installs only the smileback distribution itself.
RUN pip install --no-deps . && rm -rf /src

# Non-root, with a writable home as the working directory. The scorer keeps its RocksDB tables
# in a directory of its own under $TMPDIR (or SMILEBACK_SCORER_DATA_DIR): see the README.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/smileback smileback
WORKDIR /var/lib/smileback
USER 10001:10001

# Listen on all interfaces inside the container (the defaults are 127.0.0.1).
ENV SMILEBACK_API_HOST=0.0.0.0 \
    SMILEBACK_METRICS_HOST=0.0.0.0
EXPOSE 8000 9100
ENTRYPOINT ["smileback"]
CMD ["--help"]
