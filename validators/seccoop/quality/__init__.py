"""The dataset's quality, measured: the blind second coding's sample, pinned codings and their
agreement, and the sentence ledgers (docs/quality.md). Run as `python -m seccoop.quality`."""
