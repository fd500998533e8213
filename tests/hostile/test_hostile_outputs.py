"""`write_text_atomic`, which every command writes through, against outputs that are not plain files:
only the content of the file asked for ever changes; nothing is replaced, truncated or deleted by the way."""

import os
import stat
import threading

import pytest

from zhaoshang_ner.documents import write_text_atomic


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "data" / "real.txt"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"
    assert sorted(os.listdir(target.parent)) == ["real.txt"]  # the temporary file went beside the target


def test_a_dangling_symlink_gets_its_target_created(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "later.txt")
    write_text_atomic(link, "made")
    assert link.is_symlink() and (tmp_path / "later.txt").read_text(encoding="utf-8") == "made"


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_text_atomic(fifo, "streamed")
    reader.join(10)
    assert received == ["streamed"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "shared.txt"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o604)
    write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "new" and stat.S_IMODE(os.stat(path).st_mode) == 0o604


def test_read_only_files_and_directories_are_refused_untouched(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("keep", encoding="utf-8")
    os.chmod(locked, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        write_text_atomic(locked, "new")  # refused even as root, by the mode the owner chose
    assert locked.read_text(encoding="utf-8") == "keep"
    with pytest.raises(IsADirectoryError):
        write_text_atomic(tmp_path, "new")
    assert sorted(os.listdir(tmp_path)) == ["locked.txt"]


def test_an_unwritable_place_names_the_file_asked_for(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(OSError) as raised:
        write_text_atomic(blocker / "out.txt", "x")  # its "folder" is a file
    assert raised.value.filename == str(blocker / "out.txt") and ".tmp" not in str(raised.value)
