# syntax=docker/dockerfile:1
# SomaAgent's container image: `soma` (src/Soma.Server) on the ASP.NET Core runtime.
#   docker build -t soma:dev .
#   docker run --read-only --tmpfs /tmp -v soma-data:/data -p 8080:8080 soma:dev serve
# The .NET 10 images are Ubuntu 24.04 "noble" (Microsoft ships no Debian images for .NET 10); apt works as on Debian.
# Runs as the numeric user 10001, writes only to /data (the data directory) and /tmp, so a read-only root filesystem
# works. The listening port is ASPNETCORE_HTTP_PORTS (8080); probes: /healthz (alive) and /readyz (the store answers).
# Sandboxed tools (shell.run, code.python, stdio MCP servers) run in bubblewrap with the launcher soma-sandbox-exec
# (built here from src/Soma.Tools/Sandbox/Native with gcc) and python3; bubblewrap needs unprivileged user namespaces
# from the node and the container runtime (docs/operations/kubernetes.md#the-sandbox). Without them the server runs and
# the sandboxed tools refuse their calls, naming why.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# gcc and libc6-dev: Soma.Tools compiles the sandbox launcher (soma-sandbox-exec) when a C compiler is present.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Soma.Server/Soma.Server.csproj -c Release -o /app -p:UseAppHost=true \
    && test -x /app/soma \
    && test -x /app/soma-sandbox-exec

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# bubblewrap: the default sandbox profile; python3: the interpreter code.python runs inside it;
# curl: the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap python3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 soma \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin soma \
    && mkdir -p /data \
    && chown 10001:10001 /data \
    && chmod 0700 /data
COPY --from=build /app /app
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=8080 \
    SOMA__DATADIR=/data \
    DOTNET_NOLOGO=1 \
    TMPDIR=/tmp
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${ASPNETCORE_HTTP_PORTS%%;*}/healthz" > /dev/null || exit 1
ENTRYPOINT ["/app/soma"]
