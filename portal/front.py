"""The portal's front: nginx in front of gunicorn, as gunicorn's own documentation asks.

gunicorn's workers assume fast clients: 50 sockets sending their headers a byte at a time
starved them. nginx buffers whole requests and responses, so a slow client costs it a few
kilobytes and gunicorn only ever sees complete requests from a local socket. nginx also
compresses, serves ``/static/`` from disk, limits request sizes and adds the security
headers to every answer, its own errors (400, 413, 414, 431/494) included (``always``).

gunicorn listens on a private unix socket (in a 0700 directory of the hub's user); nginx
passes the client's address in ``X-Real-IP``, which the portal trusts only on a connection
that came over that socket (:func:`portal.web.forms.client_ip`), so per-client captive
state, CSRF tokens and rate limits stay per client.

:func:`render_nginx` is pure (the deploy renders the same text); :func:`run_stack` runs both
for ``canopy portal --bind HOST:PORT`` and for the deployed unit. Under systemd the
listening socket comes from ``canopy-portal.socket`` (port 80 opened by systemd, so nothing
here is privileged): nginx takes it over as an inherited socket (its ``NGINX`` variable, the
way it hands sockets to a new binary), and the stack reports ``READY=1`` itself once nginx
has opened it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hub.daemon import notify
from portal.web import FRONT_CACHE_SECONDS, FRONT_PER_CLIENT, HEADERS

STATIC = Path(__file__).parent / "static"
MAX_BODY = "16k"  # the largest form is a name and a token
TYPES = {
    "text/html": "html",
    "text/css": "css",
    "text/plain": "txt",
    "application/json": "json",
    "image/png": "png",
    "image/svg+xml": "svg",
    "image/x-icon": "ico",
}


class FrontMissing(RuntimeError):
    """nginx is not installed (Debian package ``nginx``)."""


def _headers(indent: str) -> str:
    return "\n".join(
        f'{indent}add_header {name} "{value}" always;' for name, value in HEADERS.items()
    )


def render_nginx(
    listen: str,
    upstream: str,
    run_dir: str,
    static_dir: str = str(STATIC),
    *,
    foreground: bool = True,
    error_log: str = "stderr",
    user: str | None = None,
    cache: bool = True,
) -> str:
    """nginx.conf for the portal: ``listen`` HOST:PORT, gunicorn at unix socket ``upstream``,
    pid and temp files under ``run_dir``."""
    hide = "\n".join(f"        proxy_hide_header {name};" for name in HEADERS)
    types = " ".join(f"{t} {ext};" for t, ext in TYPES.items())
    cache_zone = cache_use = ""
    if cache:
        # Microcache: nginx answers repeats of a public page for up to FRONT_CACHE_SECONDS
        # itself; the portal marks the answers it may keep (X-Accel-Expires), and only
        # those. Keyed on the client for the per-client pages (the home page: Enter state,
        # form token), once for everyone for the rest.
        # inactive=10m: a page nobody asked for in 10 s was dropped, so the first burst
        # after a quiet spell all went to gunicorn at once (64 connections queued on two
        # workers: half a second); kept, it is one request to gunicorn and stale copies
        # for the others for the moment that takes
        cache_zone = (
            f"    # pages the portal marks (X-Accel-Expires: {FRONT_CACHE_SECONDS})\n"
            f"    proxy_cache_path {run_dir}/cache levels=1 keys_zone=canopy_pages:1m "
            "max_size=8m inactive=10m use_temp_path=off;\n"
            "    map $uri $canopy_client {\n"
            + "".join(f"        {path} $remote_addr;\n" for path in sorted(FRONT_PER_CLIENT))
            + '        default "";\n    }\n'
        )
        cache_use = (
            "            proxy_cache canopy_pages;\n"
            '            proxy_cache_key "$request_method $host $request_uri $canopy_client '
            '$http_accept_language";\n'
            # no proxy_cache_lock: its waiters poll every 500 ms, which made the p99
            # while one request fetches a fresh copy, the others get the one just expired
            "            proxy_cache_use_stale updating;\n"
        )
    return f"""# The Canopy portal's front (nginx); rendered by Canopy, edit the settings instead.
# one worker per core: a worker the scheduler sets aside for a moment (the Pi also runs
# gunicorn and the hub) no longer holds every connection with it
worker_processes auto;
{"daemon off;" if foreground else ""}
{f"user {user};" if user else ""}
pid {run_dir}/nginx.pid;
error_log {error_log} warn;
events {{ worker_connections 768; }}
http {{
    types {{ {types} }}
    default_type application/octet-stream;
    access_log off;  # it would record passers-by's addresses
    server_tokens off;
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    # Slow clients wait here, not in gunicorn: whole requests are buffered first.
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 10s;
    keepalive_timeout 15s;
    reset_timedout_connection on;
    client_max_body_size {MAX_BODY};
    client_header_buffer_size 1k;
    large_client_header_buffers 4 4k;
    gzip on;
    gzip_comp_level 5;
    gzip_min_length 256;
    gzip_proxied any;
    gzip_vary on;
    gzip_types text/css text/plain application/json image/svg+xml;
{cache_zone}    upstream canopy_portal {{
        server unix:{upstream};
        keepalive 16;
    }}
    server {{
        listen {listen} default_server;
        server_name _;
{_headers("        ")}
        location /static/ {{
            alias {static_dir.rstrip("/")}/;
            expires 1d;
{_headers("            ")}
        }}
        location / {{
            proxy_pass http://canopy_portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For "";
            proxy_buffering on;
            proxy_request_buffering on;
            proxy_read_timeout 30s;
{cache_use}{hide}
        }}
    }}
}}
"""


def nginx_binary(env: dict[str, str]) -> str:
    """The nginx to run: ``$CANOPY_NGINX`` if set, else ``nginx`` on PATH or in /usr/sbin."""
    explicit = env.get("CANOPY_NGINX")
    if explicit:
        found = explicit if os.access(explicit, os.X_OK) else None
    else:
        path = env.get("PATH", os.defpath) + ":/usr/sbin:/sbin"
        found = shutil.which("nginx", path=path)
    if found is None:
        raise FrontMissing(
            f"nginx is not installed{f' at {explicit}' if explicit else ''}: install the "
            "Debian package 'nginx' (deploy/system-deps.sh), or run gunicorn alone with "
            "--front none"
        )
    return found


# What systemd hands the main process only: never passed on to gunicorn or nginx.
_SERVICE_ENV = ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                "WATCHDOG_PID")  # fmt: skip
LISTEN_FD = 3  # SD_LISTEN_FDS_START
GUNICORN_START = 180.0  # seconds gunicorn may take to open its socket


def inherited_listener(env: dict[str, str]) -> str | None:
    """``HOST:PORT`` of the socket systemd passed this process (socket activation), if any.

    :raises RuntimeError: if systemd passed more than one.
    """
    if env.get("LISTEN_PID") != str(os.getpid()) or not env.get("LISTEN_FDS"):
        return None
    if env["LISTEN_FDS"] != "1":
        raise RuntimeError(f"canopy portal takes one listening socket, got {env['LISTEN_FDS']}")
    sock = socket.socket(fileno=os.dup(LISTEN_FD))
    try:
        host, port = sock.getsockname()[:2]
    finally:
        sock.close()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _memory_dir(env: dict[str, str]) -> str | None:
    """Where the stack's run files go: systemd's RuntimeDirectory (a tmpfs under /run), else
    /dev/shm, else the system's temp dir. In memory, because nginx rewrites a microcache
    file every second per page: on a disk that others fsync (or an SD card), a rename can
    hold nginx's worker for hundreds of ms, which was the p99 of every client."""
    for candidate in (env.get("RUNTIME_DIRECTORY"), env.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None


def run_stack(
    bind: str, gunicorn_argv: list[str], env: dict[str, str], *, cache: bool = True
) -> int:
    """Run gunicorn on a private unix socket and nginx on ``bind`` (or on the socket systemd
    passed in) until either exits or a signal asks both to stop; returns an exit status."""
    nginx = nginx_binary(env)
    inherited = inherited_listener(env)
    if inherited is not None:
        bind = inherited
    child_env = {k: v for k, v in env.items() if k not in _SERVICE_ENV}
    nginx_env = dict(child_env, NGINX=f"{LISTEN_FD};") if inherited else child_env
    run_dir = Path(tempfile.mkdtemp(prefix="canopy-portal-", dir=_memory_dir(env)))
    run_dir.chmod(0o700)
    sock = run_dir / "gunicorn.sock"
    conf = run_dir / "nginx.conf"
    # started as root (a test box), nginx's workers would drop to "nobody" and could not
    # reach the private socket: keep them as this user
    user = None
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwuid(0).pw_name
    conf.write_text(render_nginx(bind, str(sock), str(run_dir), user=user, cache=cache))
    keep = (LISTEN_FD,) if inherited else ()  # so that the check binds nothing either
    check = subprocess.run(
        [nginx, "-t", "-q", "-e", "stderr", "-c", str(conf)],
        env=nginx_env,
        pass_fds=keep,
        check=False,
    )
    if check.returncode != 0:
        return 78  # EX_CONFIG: nginx said why on stderr
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def reload(signum: int, frame: object) -> None:
        for child in children:  # gunicorn: new workers; nginx: reread its config
            if child.poll() is None:
                child.send_signal(signal.SIGHUP)

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM if child is children[0] else signal.SIGQUIT)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    try:
        children.append(subprocess.Popen([*gunicorn_argv, "--bind", f"unix:{sock}"], env=child_env))
        # a Pi Zero 2 imports the app in seconds; an emulated one (the board tests) takes
        # a minute or more, and systemd's own start timeout still bounds it
        deadline = time.monotonic() + GUNICORN_START
        while not sock.exists():
            if children[0].poll() is not None or time.monotonic() > deadline:
                print("canopy portal: gunicorn did not start", file=sys.stderr)
                stop(0, None)
                return 1
            time.sleep(0.05)
        children.append(
            subprocess.Popen(
                [nginx, "-e", "stderr", "-c", str(conf)],
                env=nginx_env,
                pass_fds=keep,
            )
        )
        ready = False
        while not stopping and all(c.poll() is None for c in children):
            # nginx writes its pid file once its listening socket is open
            if not ready and (run_dir / "nginx.pid").exists():
                ready = True
                notify("READY=1", env)
            time.sleep(0.05 if not ready else 0.2)
        if not stopping:
            print("canopy portal: a part of the stack exited; stopping", file=sys.stderr)
            stop(0, None)
        codes = [c.wait(timeout=15) for c in children]
        return 0 if stopping else max(1, *[abs(c) for c in codes])
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        shutil.rmtree(run_dir, ignore_errors=True)
