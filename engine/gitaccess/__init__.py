"""How the engine reaches a git remote, for every controller that clones or pushes (source-controller's
GitRepository, image-automation's ImageUpdateAutomation): ls-remote, clone and checkout (`remote`), the
credentials, proxy and provider of a GitRepository (`auth`), GitHub App tokens and SOCKS5 tunnels."""
