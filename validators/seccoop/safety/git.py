"""The environment seccoop runs git in: literal paths, no prompt, no pager."""

from __future__ import annotations

import os


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Paths are literal (a folder named `*` is a folder); git never asks for a password or pager.
    env.update(GIT_LITERAL_PATHSPECS="1", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    return env
