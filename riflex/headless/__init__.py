"""Headless tooling: run API-format workflows against a running ComfyUI (`run`) and turn the UI
workflows into their API twins (`export-api`). Standard library only, no torch: `python -m riflex
run` (or the `riflex` console script that `pip install -e .` installs) starts without either."""
