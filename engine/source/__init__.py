"""source-controller: GitRepository (and Helm sources) fetched into artifacts with Flux revisions and digests."""
