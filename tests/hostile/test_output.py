"""Writing output: what is replaced, what is written directly, what is refused (docs/cli.md)."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

import careflow
from careflow.errors import OutputError
from careflow.io import output
from tests.hostile.conftest import Run, assert_refused, listing
from tests.test_io import MINIMAL


def test_the_input_itself_is_refused(work: Path, run: Run) -> None:
    """`report in.yaml -o in.yaml` is refused and the input is left as it was."""
    before = listing(work)
    result = run("report", str(work / "in.yaml"), "-o", str(work / "in.yaml"))
    assert_refused(result, "in.yaml")
    assert "input" in result.stderr
    assert listing(work) == before


def test_an_input_under_another_name_is_refused(work: Path, run: Run) -> None:
    """The same file through a relative detour (`x/../in.yaml`) is still the input."""
    (work / "x").mkdir()
    before = listing(work)
    result = run("gaps", str(work / "in.yaml"), "-o", str(work / "x" / ".." / "in.yaml"))
    assert_refused(result, "in.yaml")
    assert listing(work) == before


def test_the_framework_file_is_an_input_too(work: Path, run: Run) -> None:
    """Writing score output over the --framework file of the same run is refused."""
    framework = work / "fw.yaml"
    framework.write_bytes(
        (Path(careflow.__file__).parent / "targets" / "nara_vard.yaml").read_bytes()
    )
    before = listing(work)
    result = run(
        "score", str(work / "in.yaml"), "--framework", str(framework), "-o", str(framework)
    )
    assert_refused(result, "fw.yaml")
    assert listing(work) == before


def test_dev_full_is_an_error(work: Path, run: Run) -> None:
    """`-o /dev/full` is written directly and its ENOSPC is exit 1 naming /dev/full."""
    result = run("score", str(work / "in.yaml"), "-o", "/dev/full")
    assert_refused(result, "/dev/full")
    assert "No space left" in result.stderr


def test_dev_null_stays_a_device(work: Path, run: Run) -> None:
    """`-o /dev/null` succeeds and /dev/null is still a character device afterwards."""
    result = run("gaps", str(work / "in.yaml"), "-o", "/dev/null")
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_written_directly(work: Path, run: Run) -> None:
    """A named pipe receives the output and is still a pipe afterwards (never replaced)."""
    fifo = work / "pipe.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run("score", str(work / "in.yaml"), "--format", "csv", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert received[0].startswith(b"journey,overall,")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_read_only_file_is_refused_even_for_root(work: Path, run: Run) -> None:
    """A file without write permission is not replaced, whoever runs careflow."""
    target = work / "out.dot"
    target.write_text("keep me")
    target.chmod(0o444)
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(target))
    assert_refused(result, "out.dot")
    assert "read-only" in result.stderr
    assert listing(work) == before
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_a_symlink_to_a_file_is_refused(work: Path, run: Run) -> None:
    """A link planted where the output goes does not redirect the write to its target."""
    victim = work / "victim.txt"
    victim.write_text("precious")
    (work / "out.dot").symlink_to(victim)
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(work / "out.dot"))
    assert_refused(result, "out.dot")
    assert "link" in result.stderr
    assert listing(work) == before


def test_the_old_predictable_temporary_name_is_harmless(work: Path, run: Run) -> None:
    """A link planted at the temporary name older versions used is neither followed nor used."""
    victim = work / "victim.txt"
    victim.write_text("precious")
    (work / ".out.dot.careflow-tmp").symlink_to(victim)
    result = run("render", str(work / "in.yaml"), "-o", str(work / "out.dot"))
    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "precious"
    assert (work / "out.dot").read_text().startswith("digraph")
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".careflow-")]
    assert leftovers == []


def test_a_missing_folder_is_exit_1(work: Path, run: Run) -> None:
    """An output in a folder that does not exist is exit 1 (as documented), nothing created."""
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(work / "nowhere" / "out.dot"))
    assert_refused(result, "nowhere")
    assert listing(work) == before


def test_a_folder_is_refused(work: Path, run: Run) -> None:
    """Naming a folder as the output is exit 1."""
    (work / "dir.dot").mkdir()
    result = run("render", str(work / "in.yaml"), "-o", str(work / "dir.dot"))
    assert_refused(result, "dir.dot")


def test_a_name_too_long_is_exit_1(work: Path, run: Run) -> None:
    """ENAMETOOLONG is a clean exit 1 naming the path, not an internal error."""
    name = "a" * 300 + ".dot"
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(work / name))
    assert_refused(result, name[:50])
    assert "too long" in result.stderr
    assert listing(work) == before


def test_a_read_only_folder_is_exit_1(
    work: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES creating the temporary file (a read-only folder) is exit 1 naming the path."""

    def refuse(folder: str) -> tuple[str, int]:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), folder)

    monkeypatch.setattr(output, "_create_temporary", refuse)
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(work / "out.dot"))
    assert_refused(result, "out.dot")
    assert "Permission denied" in result.stderr
    assert listing(work) == before


def test_a_full_disk_leaves_the_old_file_and_no_temporary(
    work: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing: exit 1 naming the path, the old file intact, no temporary left."""
    target = work / "out.dot"
    target.write_text("old")

    def full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "_write_all", full)
    before = listing(work)
    result = run("render", str(work / "in.yaml"), "-o", str(target))
    assert_refused(result, "out.dot")
    assert "No space left" in result.stderr
    assert listing(work) == before


def test_a_replaced_file_keeps_its_permissions(work: Path, run: Run) -> None:
    """Replacing a 0640 file leaves a 0640 file with the new content."""
    target = work / "out.dot"
    target.write_text("old")
    target.chmod(0o640)
    result = run("render", str(work / "in.yaml"), "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text().startswith("digraph")


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    """A new file gets 0666 less the umask, like any program's output (not mkstemp's 0600)."""
    old = os.umask(0o022)
    try:
        output.write_output(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_dump_journey_uses_the_same_rules(tmp_path: Path) -> None:
    """careflow.dump_journey refuses a read-only file with OutputError, leaving it as it was."""
    target = tmp_path / "j.yaml"
    target.write_text("keep")
    target.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        careflow.dump_journey(careflow.loads_journey(MINIMAL), target)
    assert target.read_text() == "keep"


def test_stdout_dash_writes_to_standard_output(work: Path, run: Run) -> None:
    """`-o -` is standard output; nothing is created in the folder."""
    before = listing(work)
    result = run("score", str(work / "in.yaml"), "--format", "csv", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("journey,overall,")
    assert listing(work) == before


def test_a_stray_os_error_is_one_clean_line(
    work: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OSError from anywhere in a command is exit 1 naming the file, not an internal error."""

    def broken(path: str, *_: object, **__: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr("careflow.cli.load_journeys_report", broken)
    result = run("render", str(work / "in.yaml"), "-o", str(work / "out.dot"))
    assert_refused(result, "in.yaml")
    assert "Permission denied" in result.stderr


def test_a_block_device_is_refused(work: Path, run: Run) -> None:
    """A block device (a disk) is never written to, not even by root."""
    node = work / "disk.dot"
    try:
        os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(7, 250))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot create a block device node here ({exc})")
    result = run("render", str(work / "in.yaml"), "-o", str(node))
    assert_refused(result, "disk.dot")
    assert stat.S_ISBLK(os.lstat(node).st_mode)
