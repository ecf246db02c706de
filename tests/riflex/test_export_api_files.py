"""`python -m riflex export-api` writes only the API twins it makes, into a folder that is not
the input folder; it deletes nothing, follows no link and replaces no file of another kind,
and refuses (exit 2, a RIFLEx: message, nothing written) instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = {"nodes": {"Loader": {"display_name": "Load", "widgets": ["name"], "editor_only": []}}}


def ui_workflow(name: str) -> str:
    nodes = [{"id": 1, "type": "Loader", "mode": 0, "widgets_values": [name], "inputs": []}]
    return json.dumps({"nodes": nodes, "links": [], "version": 0.4})


def api_twin(name: str) -> dict:
    return {"1": {"inputs": {"name": name}, "class_type": "Loader", "_meta": {"title": "Load"}}}


@pytest.fixture
def ui_dir(tmp_path):
    folder = tmp_path / "ui"
    (folder / "schema").mkdir(parents=True)
    (folder / "schema" / "node_inputs.json").write_text(json.dumps(SNAPSHOT))
    for name in ("a", "b"):
        (folder / f"{name}.json").write_text(ui_workflow(name))
    return folder


def export(*args):
    return subprocess.run(
        [sys.executable, "-m", "riflex", "export-api", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_default_output_folder_gets_the_twins(ui_dir):
    result = export(ui_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads((ui_dir / "api" / "a.json").read_text()) == api_twin("a")
    assert json.loads((ui_dir / "api" / "b.json").read_text()) == api_twin("b")
    again = export(ui_dir)  # unchanged twins are left alone
    assert again.returncode == 0 and "wrote" not in again.stdout


@pytest.mark.parametrize("spelling", ["same", "dot", "parent", "link"])
def test_the_input_folder_as_output_is_refused(ui_dir, spelling):
    out = {
        "same": ui_dir,
        "dot": ui_dir / ".",
        "parent": ui_dir / "schema" / "..",
        "link": ui_dir.parent / "alias",
    }[spelling]
    if spelling == "link":
        out.symlink_to(ui_dir)
    before = contents(ui_dir)
    result = export(ui_dir, "--out", out)
    assert result.returncode == 2
    assert "RIFLEx: --out" in result.stderr and "is the folder of the UI workflows" in result.stderr
    assert "Traceback" not in result.stderr
    assert contents(ui_dir) == before


def test_other_files_in_the_output_folder_are_never_deleted_nor_replaced(ui_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.json").write_text('{"mine": true}')
    (out / "other_ui.json").write_text(ui_workflow("x"))
    (out / "readme.txt").write_text("hello")
    result = export(ui_dir, "--out", out)
    assert result.returncode == 0, result.stderr
    assert (out / "notes.json").read_text() == '{"mine": true}'
    assert (out / "other_ui.json").read_text() == ui_workflow("x")
    assert (out / "readme.txt").read_text() == "hello"
    assert "notes.json (left in place" in result.stdout and "removed" not in result.stdout


@pytest.mark.parametrize("occupant", ["ui-workflow", "text", "folder", "not-json"])
def test_a_file_of_another_kind_under_a_twin_name_is_refused_before_anything_is_written(ui_dir, tmp_path, occupant):
    out = tmp_path / "out"
    out.mkdir()
    # a.json sorts first and would be written first: nothing may be written when b.json is refused
    (out / "a.json").write_text(json.dumps({"1": {"inputs": {"name": "old"}, "class_type": "Loader"}}))
    target = out / "b.json"
    if occupant == "folder":
        target.mkdir()
    else:
        target.write_text({"ui-workflow": ui_workflow("precious"), "text": '"text"', "not-json": "{{"}[occupant])
    before = contents(out)
    result = export(ui_dir, "--out", out)
    assert result.returncode == 2
    assert f"RIFLEx: {target} exists and is not" in result.stderr and "Traceback" not in result.stderr
    assert contents(out) == before


@pytest.mark.parametrize("link_to", ["outside-file", "missing", "ui-file"])
def test_a_link_in_the_output_folder_is_not_followed(ui_dir, tmp_path, link_to):
    out = tmp_path / "out"
    out.mkdir()
    victim = {
        "outside-file": tmp_path / "victim.json",
        "missing": tmp_path / "nothing.json",
        "ui-file": ui_dir / "a.json",
    }[link_to]
    if link_to == "outside-file":
        victim.write_text(json.dumps(api_twin("victim")))  # even an API file behind a link is not written
    (out / "a.json").symlink_to(victim)
    before = victim.read_bytes() if victim.exists() else None
    result = export(ui_dir, "--out", out)
    assert result.returncode == 2
    assert f"RIFLEx: {out / 'a.json'} is a symbolic link" in result.stderr
    assert (victim.read_bytes() if victim.exists() else None) == before
    assert (out / "a.json").is_symlink() and not (out / "b.json").exists()


def test_the_snapshot_path_is_not_written_through_a_link_or_over_another_file(ui_dir, tmp_path):
    # --node-inputs-from refreshes the snapshot; a link or a foreign file there is refused first
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    snapshot = tmp_path / "snap.json"
    snapshot.symlink_to(victim)
    result = export(ui_dir, "--node-inputs", snapshot, "--node-inputs-from", "http://127.0.0.1:9")
    assert result.returncode == 2 and f"RIFLEx: {snapshot} is a symbolic link" in result.stderr
    assert victim.read_text() == "keep"
    snapshot.unlink()
    snapshot.write_text(ui_workflow("not a snapshot"))
    result = export(ui_dir, "--node-inputs", snapshot, "--node-inputs-from", "http://127.0.0.1:9")
    assert result.returncode == 2 and f"RIFLEx: {snapshot} exists and is not a node-inputs snapshot" in result.stderr
    assert snapshot.read_text() == ui_workflow("not a snapshot")


def test_a_broken_workflow_is_named_and_nothing_is_written(ui_dir):
    (ui_dir / "c.json").write_text('{"nodes": [1, 2], "links": []}')
    (ui_dir / "d.json").write_text("not json at all")
    result = export(ui_dir)
    assert result.returncode == 2
    assert "RIFLEx: c.json: nodes[0] is an int (1); expected an object" in result.stderr  # c.json is read first
    assert "Traceback" not in result.stderr
    assert not (ui_dir / "api").exists()
    (ui_dir / "c.json").unlink()
    result = export(ui_dir)
    assert result.returncode == 2 and f"RIFLEx: {ui_dir / 'd.json'} is not JSON" in result.stderr
    assert not (ui_dir / "api").exists()


def test_a_missing_input_folder_or_snapshot_is_named(tmp_path, ui_dir):
    result = export(tmp_path / "nowhere")
    assert result.returncode == 2 and "is not a folder" in result.stderr
    os.remove(ui_dir / "schema" / "node_inputs.json")
    result = export(ui_dir)
    assert result.returncode == 2 and "RIFLEx: cannot read" in result.stderr and "node_inputs.json" in result.stderr
    (ui_dir / "schema" / "node_inputs.json").write_text('{"nodes": {"Loader": {"widgets": "name"}}}')
    result = export(ui_dir)
    assert result.returncode == 2 and "is not a node-inputs snapshot" in result.stderr
