"""Git credentials for `gitops create secret git` and `gitops create source git` (flux's sourcesecret.GenerateGit).

- http(s): `username` + `password` (or `bearerToken`) in `stringData`; plain http is warned about.
- ssh: `identity` (the private key file's content) and `identity.pub` (its public key in OpenSSH form).
  flux also scans the server's host key into `known_hosts`; the kit works offline and cannot, so the Secret has
  no `known_hosts` and a warning says so. Generating a new deploy key pair is not supported: pass
  `--private-key-file`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.cli.output import CLIError, export
from engine.cli.session import Session
from engine.jsonobj import Obj


def public_key(private_key: bytes, password: str = "") -> str:
    """The OpenSSH public key line of a PEM/OpenSSH private key (CLIError when it cannot be read)."""
    from cryptography.hazmat.primitives import serialization

    secret = password.encode() if password else None
    try:
        try:
            key = serialization.load_ssh_private_key(private_key, password=secret)
        except ValueError:
            key = serialization.load_pem_private_key(private_key, password=secret)  # type: ignore[assignment]
    except (ValueError, TypeError) as err:
        raise CLIError(f"failed to load private key: {err}") from None
    line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line.decode() + "\n"


def git_secret(s: Session, name: str, url: str, *, username: str = "", password: str = "", bearer_token: str = "",
               private_key_file: str = "", ca_file: str = "", strict: bool = True) -> Obj | None:
    """The credentials Secret for `url`; `strict` (create secret git) requires credentials for http(s). None when
    there is nothing to store (create source git without credentials). `ca_file` (http(s) only) is stored under
    `ca.crt`."""
    scheme = urlsplit(url).scheme
    data: dict[str, str] = {}
    if scheme == "ssh":
        if not private_key_file:
            raise CLIError("generating an SSH deploy key is not supported by the workshop kit: "
                           "pass --private-key-file (or use --secret-ref)")
        try:
            key = Path(private_key_file).read_bytes()
        except OSError as err:
            raise CLIError(f"unable to read private key file: {err.strerror or err}") from None
        data["identity"] = key.decode()
        data["identity.pub"] = public_key(key, password)
        if password:
            data["password"] = password
        s.printer.warning("known_hosts not collected: the workshop kit does not scan SSH host keys offline; add "
                          "the server's key to the Secret's known_hosts")
    elif scheme in ("http", "https"):
        if strict and (not username or not password) and not bearer_token:
            raise CLIError("for Git over HTTP/S the username and password, or a bearer token is required")
        if username and password and bearer_token:
            raise CLIError("user credentials and bearer token cannot be used together")
        if scheme == "http" and not strict and (username or password):
            s.printer.warning("insecure configuration: credentials configured for an HTTP URL")
        if username and password:  # flux's buildGitSecret stores basic auth only as a pair
            data["username"] = username
            data["password"] = password
        if bearer_token:
            data["bearerToken"] = bearer_token
        if ca_file:
            data["ca.crt"] = read_ca_file(ca_file)
    elif strict:
        raise CLIError(f"git URL scheme '{scheme}' not supported, can be: ssh, http and https")
    if not data:
        return None
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": s.namespace},
            "stringData": dict(sorted(data.items()))}


def read_ca_file(path: str) -> str:
    """The PEM text of `--ca-file`/`--ca-crt-file` (flux's `unable to read TLS CA file: …`)."""
    try:
        return Path(path).read_text()
    except OSError as err:
        op = "read" if isinstance(err, IsADirectoryError) else "open"  # Go's os.ReadFile wording
        raise CLIError(f"unable to read TLS CA file: {op} {path}: {(err.strerror or str(err)).lower()}") from None
    except UnicodeDecodeError:
        raise CLIError(f"unable to read TLS CA file: {path} is not a PEM text file") from None


# -- create source git: the flags flux has beyond the reference and credentials -------------------------------
GIT_PROVIDERS = ("generic", "github", "aws", "azure")  # flux2 internal/flags/source_git_provider.go order


def git_provider(value: str) -> str:
    """`--provider` as flux's flags.SourceGitProvider accepts it (checked while the flags are parsed)."""
    prefix = f'invalid argument "{value}" for "--provider" flag: '
    if not value.strip():
        raise CLIError(prefix + "no source Git provider given, please specify the Git provider name")
    if value not in GIT_PROVIDERS:
        raise CLIError(prefix + f"source Git provider '{value}' is not supported, must be one of: "
                       + "|".join(GIT_PROVIDERS))
    return value


def add_source_git_flags(git: argparse.ArgumentParser) -> None:
    """`--provider`, `--proxy-secret-ref` and `--ca-file` of `create source git`."""
    git.add_argument("--provider", type=git_provider, default=None,
                     help="the Git provider name (" + "|".join(GIT_PROVIDERS) + ")")
    git.add_argument("--proxy-secret-ref", default="",
                     help="the name of an existing secret containing the proxy address and credentials")
    git.add_argument("--ca-file", default="", help="path to TLS CA file used for validating self-signed certificates")


def source_git_spec(args: argparse.Namespace, spec: Obj) -> None:
    """Add `--provider` and `--proxy-secret-ref` to the GitRepository spec; `--ca-file` is refused for SSH (flux
    stores the CA in the credentials Secret, see `git_secret`)."""
    if args.ca_file and urlsplit(args.url).scheme == "ssh":
        raise CLIError("specifying a CA file is not supported for Git over SSH")
    if args.proxy_secret_ref:
        spec["proxySecretRef"] = {"name": args.proxy_secret_ref}
    if args.provider:
        spec["provider"] = args.provider


def upsert_secret(s: Session, secret: Obj) -> None:
    """Create or replace the Secret's data (flux's upsertSecret)."""
    meta = secret["metadata"]
    existing = s.client.get("v1", "Secret", meta["name"], meta["namespace"])
    if existing is None:
        s.client.create(secret)
        return
    existing.pop("data", None)
    existing["stringData"] = secret["stringData"]
    s.client.replace(existing)


def cmd_create_secret_git(s: Session, args: argparse.Namespace) -> int:
    if not args.url:
        raise CLIError("url is required")
    secret = git_secret(s, args.name, args.url, username=args.username, password=args.password,
                        bearer_token=args.bearer_token, private_key_file=args.private_key_file,
                        ca_file=args.ca_crt_file)
    assert secret is not None
    if args.export:
        print(export([secret]))
        return 0
    upsert_secret(s, secret)
    s.printer.action(f"git secret '{args.name}' created in '{s.namespace}' namespace")
    return 0


def add_secret_parsers(create_sub: Any, common: argparse.ArgumentParser) -> Any:
    """`create secret git`; returns the `secret` sub-command group so other secret kinds can join it."""
    secret = create_sub.add_parser("secret", parents=[common], help="create or update Kubernetes secrets")
    ssub = secret.add_subparsers(dest="secret_kind", required=True, metavar="{git}")
    git = ssub.add_parser("git", parents=[common], help="create or update a Kubernetes secret for Git authentication")
    git.add_argument("name")
    git.add_argument("--export", action="store_true")
    git.add_argument("--url", default="", help="git address, e.g. ssh://git@host/org/repository")
    git.add_argument("-u", "--username", default="", help="basic authentication username")
    git.add_argument("-p", "--password", default="", help="basic authentication password")
    git.add_argument("--bearer-token", default="", help="bearer authentication token")
    git.add_argument("--ca-crt-file", default="",
                     help="path to TLS CA certificate file used for validating self-signed certificates")
    git.add_argument("--private-key-file", default="",
                     help="path to a passwordless private key file used for authenticating to the Git SSH server")
    git.set_defaults(func=cmd_create_secret_git)
    return ssub
