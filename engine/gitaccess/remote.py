"""Git checkout for a GitRepository: credentials, ref resolution with Flux's precedence, shallow fetch.

Credentials never reach a command line or an error message: http(s) auth goes through GIT_CONFIG_* env
(`http.extraHeader`), SSH keys through temporary files, and every message is scrubbed of secret values.
A `spec.proxySecretRef` proxy reaches git the same way, for that one command only: `http.proxy` for http(s)
remotes, an ssh ProxyCommand through a SOCKS5 proxy (engine.gitaccess.socks_tunnel) for SSH remotes.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import git

from engine.gitaccess.semverrange import ConstraintError, highest_match
from engine.gitaccess.socks_tunnel import ENV as SOCKS_ENV

SOCKS_TUNNEL = Path(__file__).with_name("socks_tunnel.py")


class GitError(Exception):
    """A git operation failed; `reason` is Flux's condition reason (GitOperationFailed, AuthenticationFailed, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Credentials:
    """The usable keys of a GitRepository's spec.secretRef Secret (already base64-decoded)."""

    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    identity: str | None = None
    known_hosts: str | None = None
    ca: str | None = None
    secrets: list[str] = field(default_factory=list)

    @classmethod
    def from_secret(cls, secret: dict) -> Credentials:
        data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
        data.update(secret.get("stringData") or {})
        creds = cls(data.get("username"), data.get("password"), data.get("bearerToken"),
                    data.get("identity"), data.get("known_hosts"), data.get("ca.crt") or data.get("caFile"))
        creds.secrets = [v for k, v in data.items() if v and k not in ("username", "known_hosts", "ca.crt")]
        return creds

    def validate(self, url: str) -> None:
        scheme = urlparse(url).scheme
        if self.username and self.password is None and scheme in ("http", "https"):
            raise GitError("AuthenticationFailed", "failed to configure authentication options: "
                           "invalid 'username' and 'password': password is required with a username")
        if scheme == "ssh" and self.identity and not self.known_hosts:
            raise GitError("AuthenticationFailed", "failed to configure authentication options: "
                           "invalid 'known_hosts': an SSH identity needs known_hosts in the Secret")

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
            if len(secret) > 3:
                text = text.replace(base64.b64encode(secret.encode()).decode(), "***")
        return text


@dataclass(frozen=True)
class Proxy:
    """`spec.proxySecretRef` resolved: the proxy URL (with its credentials) and the values to hide in messages."""

    url: str
    secrets: tuple[str, ...] = ()

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


@dataclass(frozen=True)
class Resolved:
    """A ref resolved on the remote: the named pointer (`main`, `v1.0.0`, `refs/pull/1/head`, or None) and sha."""

    pointer: str | None
    sha: str
    fetch_ref: str | None
    by_commit: bool = False

    @property
    def revision(self) -> str:
        return f"{self.pointer}@sha1:{self.sha}" if self.pointer else f"sha1:{self.sha}"


@contextmanager
def git_env(url: str, creds: Credentials | None, proxy: Proxy | None = None) -> Iterator[dict[str, str]]:
    """Environment for git commands carrying the credentials and the proxy; temp files are removed afterwards.
    With a proxy, NO_PROXY is cleared: like source-controller's explicit proxy option it applies to every host."""
    env = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "GIT_CONFIG_NOSYSTEM": "1",
           "LC_ALL": "C", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes"}
    tmp = tempfile.mkdtemp(prefix="gitops-auth-")
    try:
        configs: list[tuple[str, str]] = [("protocol.file.allow", "always")]
        if proxy is not None and urlparse(url).scheme in ("http", "https"):
            # socks5h: the proxy resolves the host name, as Go's SOCKS5 dialer in source-controller does
            via = "socks5h" + proxy.url[len("socks5"):] if proxy.url.startswith("socks5://") else proxy.url
            configs.append(("http.proxy", via))
            env["NO_PROXY"] = env["no_proxy"] = ""
        if creds:
            scheme = urlparse(url).scheme
            if scheme in ("http", "https"):
                if creds.bearer_token:
                    configs.append(("http.extraHeader", f"Authorization: Bearer {creds.bearer_token}"))
                elif creds.username is not None:
                    token = base64.b64encode(f"{creds.username}:{creds.password or ''}".encode()).decode()
                    configs.append(("http.extraHeader", f"Authorization: Basic {token}"))
                    creds.secrets.append(token)
                if creds.ca:
                    ca = Path(tmp, "ca.crt")
                    ca.write_text(creds.ca)
                    configs.append(("http.sslCAInfo", str(ca)))
                    env["GIT_SSL_CAINFO"] = str(ca)  # git lets this variable win over http.sslCAInfo
            elif scheme == "ssh" and creds.identity:
                key = Path(tmp, "identity")
                key.write_text(creds.identity if creds.identity.endswith("\n") else creds.identity + "\n")
                key.chmod(0o600)
                hosts = Path(tmp, "known_hosts")
                hosts.write_text(creds.known_hosts or "")
                env["GIT_SSH_COMMAND"] = (f"ssh -o BatchMode=yes -o IdentitiesOnly=yes -i {key} "
                                          f"-o UserKnownHostsFile={hosts} -o StrictHostKeyChecking=yes")
        if proxy is not None and urlparse(url).scheme == "ssh":  # SSH goes through a SOCKS5 proxy (see engine.gitaccess.auth)
            tunnel = f"{shlex.quote(sys.executable)} {shlex.quote(str(SOCKS_TUNNEL))} %h %p"
            env["GIT_SSH_COMMAND"] += " -o " + shlex.quote(f"ProxyCommand={tunnel}")
            env[SOCKS_ENV] = proxy.url
        env["GIT_CONFIG_COUNT"] = str(len(configs))
        for i, (k, v) in enumerate(configs):
            env[f"GIT_CONFIG_KEY_{i}"] = k
            env[f"GIT_CONFIG_VALUE_{i}"] = v
        yield env
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _failure(url: str, exc: Exception, creds: Credentials | None, proxy: Proxy | None = None) -> GitError:
    text = getattr(exc, "stderr", "") or str(exc)
    text = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    text = text.replace("stderr: ", "").strip("' ")
    low = text.lower()
    if "authentication" in low or "permission denied" in low or "401" in low or "403" in low:
        reason = "AuthenticationFailed"
    else:
        reason = "GitOperationFailed"
    if "does not appear to be a git repository" in low or "not found" in low and "repository" in low:
        text = "repository not found: " + text
    if creds:
        text = creds.scrub(text)
    if proxy:
        text = proxy.scrub(text)
    return GitError(reason, f"failed to checkout and determine revision: unable to clone '{url}': {text}")


def remote_refs(url: str, creds: Credentials | None, timeout: float,
                proxy: Proxy | None = None) -> dict[str, str]:
    """`git ls-remote` (through `proxy` when given): ref name -> commit sha (annotated tags peeled)."""
    with git_env(url, creds, proxy) as env:
        try:
            out = git.cmd.Git().execute(["git", "ls-remote", url], env={**os.environ, **env},
                                        kill_after_timeout=timeout)
        except git.GitCommandError as exc:
            raise _failure(url, exc, creds, proxy) from None
    refs: dict[str, str] = {}
    for line in str(out).splitlines():
        sha, _, name = line.partition("\t")
        if name.endswith("^{}"):
            refs[name[:-3]] = sha
        elif name not in refs:
            refs[name] = sha
    return refs


def resolve_ref(url: str, ref: dict, refs: dict[str, str]) -> Resolved:
    """Pick the commit for spec.ref: commit > name > tag > semver > branch (go-git's order); default `master`."""
    if not any(k in refs for k in refs if k.startswith("refs/")):
        raise GitError("EmptyGitRepository", "git repository is empty")
    commit, branch = ref.get("commit"), ref.get("branch")
    if commit:
        if branch and f"refs/heads/{branch}" not in refs:
            raise _missing(url, f"refs/heads/{branch}")
        return Resolved(branch or None, commit, f"refs/heads/{branch}" if branch else None, by_commit=True)
    if ref.get("name"):
        name = ref["name"]
        if name not in refs:
            raise _missing(url, name)
        pointer = name.removeprefix("refs/heads/").removeprefix("refs/tags/") \
            if name.startswith(("refs/heads/", "refs/tags/")) else name
        return Resolved(pointer, refs[name], name)
    if ref.get("tag"):
        full = f"refs/tags/{ref['tag']}"
        if full not in refs:
            raise _missing(url, full)
        return Resolved(ref["tag"], refs[full], full)
    if ref.get("semver"):
        tags = [r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/")]
        try:
            tag = highest_match(ref["semver"], tags)
        except ConstraintError as exc:
            raise GitError("GitOperationFailed", f"failed to checkout and determine revision: "
                           f"semver parse error: {exc}") from None
        if tag is None:
            raise GitError("GitOperationFailed", "failed to checkout and determine revision: "  # go-git: no clone
                           f"no match found for semver: {ref['semver']}")
        return Resolved(tag, refs[f"refs/tags/{tag}"], f"refs/tags/{tag}")
    branch = branch or "master"
    full = f"refs/heads/{branch}"
    if full not in refs:
        raise _missing(url, full)
    return Resolved(branch, refs[full], full)


def _missing(url: str, ref: str) -> GitError:
    return GitError("GitOperationFailed", f"failed to checkout and determine revision: unable to clone "
                    f"'{url}': couldn't find remote ref \"{ref}\"")


def checkout(url: str, resolved: Resolved, dest: Path, creds: Credentials | None, timeout: float,
             proxy: Proxy | None = None) -> str:
    """Fetch the resolved commit into `dest` (shallow unless a bare commit is asked for, through `proxy` when
    given); returns its subject."""
    with git_env(url, creds, proxy) as env:
        full_env = {**os.environ, **env}
        try:
            repo = git.Repo.init(dest)
            if not resolved.by_commit and resolved.fetch_ref:
                repo.git.execute(["git", "fetch", "--depth", "1", "--no-tags", url, resolved.fetch_ref],
                                 env=full_env, kill_after_timeout=timeout)
            else:
                spec = resolved.fetch_ref or "+refs/heads/*:refs/remotes/origin/*"
                repo.git.execute(["git", "fetch", "--no-tags", url, spec], env=full_env, kill_after_timeout=timeout)
            repo.git.execute(["git", "-c", "advice.detachedHead=false", "checkout", "-q", resolved.sha],
                             env=full_env, kill_after_timeout=timeout)
            head = repo.head.commit.hexsha
        except git.GitCommandError as exc:
            if "reference is not a tree" in str(exc) or "did not match any" in str(exc) \
                    or "unable to read tree" in str(exc):
                raise GitError("GitOperationFailed", f"failed to checkout and determine revision: unable to "
                               f"clone '{url}': commit '{resolved.sha}' not found") from None
            raise _failure(url, exc, creds, proxy) from None
        if head != resolved.sha:
            raise GitError("GitOperationFailed", f"failed to checkout and determine revision: fetched "
                           f"'{head}' but expected '{resolved.sha}'")
        message = str(repo.head.commit.message)
        return message.splitlines()[0] if message else ""

