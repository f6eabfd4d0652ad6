"""ssh `ProxyCommand` that reaches `<host> <port>` through the SOCKS5 proxy in $GITOPS_SOCKS5_PROXY and relays
stdin/stdout over it (RFC 1928, username/password auth RFC 1929). The host name is sent to the proxy unresolved,
as Go's SOCKS5 dialer (used by source-controller for SSH remotes) does. The proxy URL, with its credentials, comes
through the environment so it never appears on a command line.

Run as a script by ssh (stdlib only, no engine imports): `python socks_tunnel.py HOST PORT`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
import sys
import threading
from urllib.parse import unquote, urlsplit

ENV = "GITOPS_SOCKS5_PROXY"
REPLIES = {1: "general SOCKS server failure", 2: "connection not allowed by ruleset", 3: "network unreachable",
           4: "host unreachable", 5: "connection refused", 6: "TTL expired", 7: "command not supported",
           8: "address type not supported"}


class TunnelError(Exception):
    """The proxy refused or broke the handshake."""


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise TunnelError("the proxy closed the connection during the handshake")
        data += chunk
    return data


def open_tunnel(proxy_url: str, host: str, port: int, timeout: float = 30.0) -> socket.socket:
    """A socket connected to host:port through the SOCKS5 proxy at `proxy_url`."""
    proxy = urlsplit(proxy_url)
    where = f"{proxy.hostname}:{proxy.port or 1080}"
    try:
        sock = socket.create_connection((proxy.hostname or "", proxy.port or 1080), timeout=timeout)
    except OSError as err:
        raise TunnelError(f"dial tcp {where}: {err.strerror or err}") from None
    user, password = unquote(proxy.username or ""), unquote(proxy.password or "")
    methods = b"\x00\x02" if user else b"\x00"
    sock.sendall(b"\x05" + bytes([len(methods)]) + methods)
    version, method = _read(sock, 2)
    if version != 5 or method == 0xFF:
        raise TunnelError(f"socks5 proxy {where}: no acceptable authentication method")
    if method == 2:
        sock.sendall(b"\x01" + bytes([len(user)]) + user.encode() + bytes([len(password)]) + password.encode())
        if _read(sock, 2)[1] != 0:
            raise TunnelError(f"socks5 proxy {where}: username/password authentication failed")
    try:
        address = b"\x01" + ipaddress.IPv4Address(host).packed
    except ValueError:
        address = b"\x03" + bytes([len(host.encode())]) + host.encode()
    sock.sendall(b"\x05\x01\x00" + address + struct.pack(">H", port))
    _, reply, _, kind = _read(sock, 4)
    if reply != 0:
        raise TunnelError(f"socks5 proxy {where} could not connect to {host}:{port}: "
                          f"{REPLIES.get(reply, f'unknown error {reply}')}")
    size = {1: 4, 4: 16}.get(kind)
    _read(sock, (size if size is not None else _read(sock, 1)[0]) + 2)  # bound address and port: unused
    sock.settimeout(None)
    return sock


def relay(sock: socket.socket) -> None:
    """Copy stdin to the socket and the socket to stdout until either side ends."""
    def upstream() -> None:
        try:
            while chunk := os.read(0, 65536):
                sock.sendall(chunk)
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    threading.Thread(target=upstream, daemon=True).start()
    while chunk := sock.recv(65536):
        os.write(1, chunk)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or not os.environ.get(ENV):
        print(f"usage: {ENV}=socks5://[user:password@]host:port {argv[0]} HOST PORT", file=sys.stderr)
        return 2
    try:
        sock = open_tunnel(os.environ[ENV], argv[1], int(argv[2]))
    except (TunnelError, OSError, ValueError) as err:
        print(f"proxy error: {err}", file=sys.stderr)
        return 1
    relay(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
