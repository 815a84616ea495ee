"""The file index: a MemoryIndex loaded from a file at start and saved back atomically."""

from __future__ import annotations

import json
import os
import secrets
import stat
import zipfile
from pathlib import Path

import numpy as np

from cleanseed.config import DedupConfig
from cleanseed.errors import IndexError_
from cleanseed.index.memory import MemoryIndex
from cleanseed.index.meta import FORMAT, VERSION, signature_options


class FileIndex(MemoryIndex):
    """A MemoryIndex loaded from a file at start and written back atomically by `close()`.

    The file is an uncompressed zip of .npy arrays (read with allow_pickle=False) and
    header.json: format, version, the signature options, counts. Writing goes to a temporary
    file beside it, fsynced, then `os.replace`d over it: a run killed at any moment leaves the
    previous index whole. The new file has the previous one's mode, or a new file's; through a
    symlink, the file it names is the one replaced.
    """

    def __init__(self, path: str | Path, config: DedupConfig) -> None:
        super().__init__(config.num_perm, config.bands)
        self.path = Path(path)
        # what is rewritten: the file a symlink names, in its own directory; the link stays
        self._target = Path(os.path.realpath(self.path))
        self.options = signature_options(config)
        self._check_writable()
        if self.path.exists():
            self._load()

    def _check_writable(self) -> None:
        """Fail now, not after the run, if `save` could not write the file where it will be.

        Nothing is created: the write at the end stays the only one.
        """
        folder = self._target.parent
        try:
            if self.path.is_symlink():
                try:
                    os.stat(self.path)  # a loop of links raises here (ELOOP): caught below
                except FileNotFoundError:
                    pass  # a dangling link: the file it names is created
            if not folder.exists():
                why = f"no such directory {folder}"
            elif not folder.is_dir():
                why = f"{folder} is not a directory"
            elif not os.access(folder, os.W_OK | os.X_OK):
                why = f"directory {folder} is not writable"
            elif self._target.exists() and not self._target.is_file():
                why = f"{self.path} is not a regular file"
            else:
                return
        except OSError as exc:
            why = exc.strerror or str(exc)
        raise IndexError_(f"cannot write index {self.path}: {why}")

    def _load(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as zf:
                header = json.loads(zf.read("header.json"))
                self._check_header(header)
                arrays = {name: self._read_array(zf, name) for name in header["arrays"]}
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise IndexError_(f"cannot read index {self.path}: {exc}") from exc
        try:
            self.load_arrays(arrays)
            for field, count in (("items", self._n), ("documents", len(self._doc_first))):
                said = header.get(field)
                if type(said) is not int or said != count:  # true is no count
                    raise ValueError(f"header.json: {field!r} is {said!r}, the arrays hold {count}")
        except ValueError as exc:
            raise self._damaged(str(exc)) from None

    def _damaged(self, what: str) -> IndexError_:
        return IndexError_(f"index file {self.path} is damaged: {what}")

    def _check_header(self, header: object) -> None:
        """What header.json must say: a cleanseed index of this version and these options, and
        the names of its arrays (its counts are checked against them once loaded)."""
        if not isinstance(header, dict):
            raise self._damaged("header.json is not a JSON object")
        if header.get("format") != FORMAT:
            raise IndexError_(f"{self.path} is not a cleanseed index")
        if header.get("version") != VERSION:
            raise IndexError_(
                f"{self.path} is a version {header.get('version')} index; this cleanseed reads "
                f"version {VERSION}: build a new index"
            )
        theirs = header.get("options")
        if not isinstance(theirs, dict):
            raise self._damaged("header.json: 'options' is not a JSON object")
        if theirs != self.options:
            diff = ", ".join(
                f"{k} {theirs.get(k)} (now {v})" for k, v in self.options.items() if theirs.get(k) != v
            )
            raise IndexError_(
                f"{self.path} was built with other signature options: {diff}; use those options or a new index"
            )
        names = header.get("arrays")
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            raise self._damaged("header.json: 'arrays' is not a list of names")

    def _read_array(self, zf: zipfile.ZipFile, name: str) -> np.ndarray:
        """One .npy member, no pickles; its header's shape first checked against its size, so a
        damaged one is refused before its array is allocated."""
        member = name + ".npy"
        with zf.open(member) as fh:
            version = np.lib.format.read_magic(fh)  # type: ignore[no-untyped-call]
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(fh)
            claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
            held = zf.getinfo(member).file_size - fh.tell()
            if claimed != held:
                raise self._damaged(f"{member} claims {claimed} bytes of data and holds {held}")
            fh.seek(0)
            return np.lib.format.read_array(fh, allow_pickle=False)  # type: ignore[no-untyped-call, no-any-return]

    def save(self) -> None:
        arrays = self.arrays()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "options": self.options,
            "items": self._n,
            "documents": len(self._doc_first),
            "arrays": sorted(arrays),
        }
        # created as any new file is (0o666 less the umask; mkstemp's would be 0o600), a random
        # name beside the index, never an existing file
        tmp = str(self._target.parent / f"{self._target.name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise IndexError_(f"cannot write index {self.path}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as raw:
                try:  # a rewrite keeps the previous file's mode
                    os.fchmod(raw.fileno(), stat.S_IMODE(os.stat(self._target).st_mode))
                except FileNotFoundError:
                    pass
                with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                    zf.writestr("header.json", json.dumps(header, indent=1))
                    for name, arr in sorted(arrays.items()):
                        with zf.open(name + ".npy", "w", force_zip64=True) as fh:
                            np.lib.format.write_array(fh, np.ascontiguousarray(arr), allow_pickle=False)  # type: ignore[no-untyped-call]
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(tmp, self._target)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError):
                raise IndexError_(f"cannot write index {self.path}: {exc.strerror or exc}") from exc
            raise

    def close(self) -> None:
        self.save()
