# The kefu image (app, worker and migrate services of docker-compose.yml). CPU only; the GPU model runs
# in the separate vllm service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" TOKENIZERS_PARALLELISM=false
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/kefu
COPY requirements.lock pyproject.toml ./
COPY scripts/install_llama_cpp.sh scripts/
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -q --upgrade pip==25.3 \
    && /opt/venv/bin/pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && /opt/venv/bin/pip install -q -r requirements.lock \
    && scripts/install_llama_cpp.sh /opt/venv
COPY . .
RUN /opt/venv/bin/pip install -q --no-deps --no-build-isolation -e .
ENV PATH=/opt/venv/bin:$PATH

RUN useradd --create-home --uid 10001 kefu && mkdir -p /data && chown kefu /data
USER kefu
EXPOSE 8000
CMD ["kefu", "serve", "--host", "0.0.0.0", "--port", "8000"]
