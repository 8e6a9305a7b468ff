# videobot on a CUDA runtime: docker build -t videobot . && docker run --gpus all -e DISCORD_TOKEN=... videobot
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HOME=/data/huggingface \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ffmpeg ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv \
    && pip install "torch==2.13.0"

WORKDIR /app
# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/__init__.py
COPY generation/__init__.py generation/__init__.py
COPY migrations/__init__.py migrations/__init__.py
RUN pip install . && pip uninstall -y videobot

COPY bot bot
COPY generation generation
COPY migrations migrations
COPY config.toml alembic.ini ./
RUN pip install --no-deps .

# /data/huggingface exists in the image, owned by the bot, so that a new volume mounted there (compose's
# "models") starts out writable by it.
RUN useradd --create-home --uid 10001 videobot && mkdir -p /data/huggingface && chown -R videobot /data
USER videobot
# Jobs (SQLite by default), clips awaiting upload and downloaded models live on the /data volume;
# The Content Credentials signing chain and MagCache calibrations too, so they survive new containers.
# The health and metrics endpoint is on in the image (bind it to the host's loopback, or a private
# network: it has no authentication).
ENV VIDEOBOT_DATABASE__URL=sqlite+aiosqlite:////data/videobot.db \
    VIDEOBOT_WORKER__CLIP_DIR=/data/clips \
    VIDEOBOT_PROVENANCE__DIRECTORY=/data/provenance \
    VIDEOBOT_GENERATION__CALIBRATION_DIR=/data/calibration \
    VIDEOBOT_METRICS__LISTEN=0.0.0.0:9464
VOLUME /data
EXPOSE 9464
# Healthy: the process answers and reaches its database (/healthz). Loading a model can take many minutes
# on first start (the download), hence the long start period; readiness is /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20m --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
ENTRYPOINT ["python3", "-m", "bot", "--config", "/app/config.toml"]
CMD ["run"]
