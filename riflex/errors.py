"""The pack's own error: a setting, file or server answer a user can fix, said in one line.

`RIFLExError` is a ValueError, so ComfyUI, scripts and tests that catch ValueError still catch
it; `python -m riflex` catches only it (exit 2, one line), so a bug inside torch or numpy (a
plain ValueError) is reported as a bug, with its traceback, never as bad input.
Torch-free: the command line's HTTP client imports it.
"""

from __future__ import annotations

__all__ = ["RIFLExError"]


class RIFLExError(ValueError):
    """A user error. The message starts with "RIFLEx: ", names the input or file, the value
    found and what is allowed."""
