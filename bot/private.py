"""Files only their owner may read: the data folder holds what visitors asked, who did what, and the staff's
password hashes."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> Path:
    """Create the folder readable by its owner only, or take group and others' access away from an existing one.

    A shared folder such as /tmp (sticky bit) is left as it is, with a warning: the files in it stay private.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    mode = folder.stat().st_mode
    if mode & 0o077:
        if mode & stat.S_ISVTX:
            log.warning("%s is a shared folder; set BOT_DATA_DIR to a folder of the bot's own", folder)
        else:
            folder.chmod(FOLDER_MODE)
    return folder


def private_file(path: Path) -> Path:
    """Create the file (empty) if it is missing, and make it readable and writable by its owner only."""
    path = Path(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    path.chmod(FILE_MODE)
    return path
