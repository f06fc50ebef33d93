"""A sorted view of a sample folder: ``OUT/<class>/<name>`` links (or copies) of the originals, which stay put.

Links are symbolic links with absolute targets (the default: no extra disk space, and the view follows the
originals). ``copy`` copies each file atomically, keeping its modification time. Where symbolic links cannot be
made (Windows without Developer Mode, some network or FAT drives) the link mode stops before doing anything and
says to use ``copy``; it never falls back silently. Originals are only read: never moved, renamed or deleted.
Two files with the same name in one class become ``name.wav``, ``name (2).wav``, ...; running again places only
what is new (an existing link to, or identical copy of, the same original is recognised, also under a name the
user gave it).
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .atomicfile import atomic_copy
from .catalog import Catalog, check_catalog_path, file_hash
from .classify import iter_audio_files
from .errors import UsageError
from .tagging import MAX_REPORTED_ERRORS, TagSummary, tag_paths

log = logging.getLogger(__name__)

MODES = ("link", "copy")
#: left in every OUT: a later organize (or one of another FOLDER) does not sort a sorted view's files again
MARKER = ".drumtag-organized"
#: where ``unsure_below`` puts the files the model is not sure of: ``OUT/unsure/<class>/``
UNSURE = "unsure"


@dataclass
class OrganizeSummary:
    """What organize did: files placed now, already in place, not classified, failed to place."""

    into: str
    mode: str
    tagging: TagSummary | None = None
    placed: int = 0
    already: int = 0
    unclassified: int = 0
    failed: int = 0
    #: of the placed and already-there files, those under ``OUT/unsure/`` (confidence below ``unsure_below``)
    unsure: int = 0
    unsure_below: float | None = None
    by_label: collections.Counter = field(default_factory=collections.Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "linked" if self.mode == "link" else "copied"
        out = [f"{self.placed} files {verb} into {self.into}, {self.already} already there, "
               f"{self.unclassified} not classified (see the tagging errors), {self.failed} failed"]
        if self.by_label:
            out.append("classes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_label.items())))
        if self.unsure_below is not None:
            out.append(f"{self.unsure} of them with confidence below {self.unsure_below:g} are in "
                       f"{os.path.join(self.into, UNSURE)}/<class>/: worth a listen")
        out += [f"error: {p}: {r}" for p, r in self.errors]
        return out


def _inside(path: str, folder: str) -> bool:
    return path != folder and path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_places(folder: str, into: str, classes: tuple[str, ...]) -> str | None:
    """Refuse layouts that would organize a folder into itself; the part of ``folder`` to leave out, if any."""
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: not a folder")
    real_folder, real_into = os.path.realpath(folder), os.path.realpath(into)
    if real_into == real_folder:
        raise UsageError(f"--into {into}: must not be the folder being organized; pick a new folder")
    for c in classes:
        class_dir = os.path.join(real_into, c)
        if real_folder == class_dir or _inside(real_folder, class_dir):
            raise UsageError(f"{folder}: lies inside --into's class folder {class_dir}; pick another --into")
    if _inside(real_into, real_folder):  # OUT inside FOLDER: its files are not scanned again
        return os.path.join(os.path.abspath(folder), os.path.relpath(real_into, real_folder))
    return None


def _prepare(into: str, mode: str) -> None:
    if os.path.exists(into) and not os.path.isdir(into):
        raise UsageError(f"--into {into}: is a file, not a folder; give a folder (new or existing)")
    try:
        os.makedirs(into, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--into {into}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(into, os.W_OK):
        raise UsageError(f"--into {into}: not writable")
    if mode == "link":
        _probe_links(into)
    marker = os.path.join(into, MARKER)
    if not os.path.exists(marker):
        try:
            with open(marker, "w", encoding="utf-8") as f:
                f.write("A sorted view made by drumtag organize: drumtag does not sort the files below it again.\n")
        except OSError as exc:
            raise UsageError(f"--into {into}: cannot write in it ({exc.strerror or exc})") from None


def _probe_links(into: str) -> None:
    probe = os.path.join(into, f".drumtag-link-probe-{uuid.uuid4().hex[:8]}")
    try:
        os.symlink(os.path.abspath(into), probe)
    except (OSError, NotImplementedError, AttributeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UsageError(f"--link: cannot create symbolic links in {into} ({reason}); use --copy") from None
    finally:
        if os.path.lexists(probe):
            os.unlink(probe)


def _sources(folder: str, exclude: str | None) -> tuple[list[str], bool]:
    """The audio files under ``folder`` to sort: each real file once (a link view lists its originals again; the
    file itself is kept rather than a link to it), none
    under ``exclude`` (OUT) or under an earlier sorted view (a folder with ``MARKER``); and whether that is every
    audio file under ``folder``."""
    @functools.cache
    def in_view(d: str) -> bool:  # whether folder ``d`` (inside ``folder``) or one above it is a sorted view
        if d != folder and not _inside(d, folder):
            return False
        return os.path.exists(os.path.join(d, MARKER)) or (d != folder and in_view(os.path.dirname(d)))

    files: dict[str, str] = {}  # real path -> the spelling to sort: the file itself rather than a link to it
    found = 0
    for p in iter_audio_files([folder]):
        found += 1
        if exclude and (p == exclude or _inside(p, exclude)) or in_view(os.path.dirname(p)):
            continue
        real = os.path.realpath(p)
        if real not in files or (os.path.islink(files[real]) and not os.path.islink(p)):
            files[real] = p
    return list(files.values()), found == len(files)


def _same(candidate: str, src: str, *, mode: str, src_hash: str | None) -> bool:
    """``candidate`` already is ``src``'s link (link mode) or an identical copy (copy mode)."""
    if os.path.islink(candidate):
        return mode == "link" and os.readlink(candidate) == src
    if mode != "copy" or not os.path.isfile(candidate) or os.path.getsize(candidate) != os.path.getsize(src):
        return False
    return file_hash(candidate) == (src_hash or file_hash(src))


def links_in(class_dir: str) -> dict[str, str]:
    """{original: its link} of the symbolic links in ``class_dir``, whatever their names (a user may rename them)."""
    found = {}
    try:
        entries = list(os.scandir(class_dir))
    except OSError:
        return found
    for e in entries:
        if e.is_symlink():
            try:
                found.setdefault(os.readlink(e.path), e.path)
            except OSError:
                pass
    return found


class Copies:
    """The copies in a class folder, by size, with their hashes computed once and only for sizes that an
    original shares: a copy the user renamed is recognised by its content, at the cost of reading the few
    copies of the same size."""

    def __init__(self, class_dir: str):
        self.by_size: dict[int, list[str]] = collections.defaultdict(list)
        self._hashes: dict[str, str] = {}
        try:
            entries = list(os.scandir(class_dir))
        except OSError:
            return
        for e in entries:
            try:
                if e.is_file(follow_symlinks=False) and not e.name.startswith("."):
                    self.by_size[e.stat(follow_symlinks=False).st_size].append(e.path)
            except OSError:
                pass

    def find(self, size: int, digest: str) -> str | None:
        """A copy of ``size`` bytes whose content hash is ``digest``."""
        for path in self.by_size.get(size, ()):
            if path not in self._hashes:
                try:
                    self._hashes[path] = file_hash(path)
                except OSError:
                    self._hashes[path] = ""
            if self._hashes[path] == digest:
                return path
        return None

    def add(self, path: str, size: int, digest: str) -> None:
        self.by_size[size].append(path)
        self._hashes[path] = digest


def place(src: str, class_dir: str, *, mode: str, src_hash: str | None = None,
          links: dict[str, str] | None = None, copies: Copies | None = None) -> tuple[str, bool]:
    """Link or copy ``src`` into ``class_dir`` under a free name; (its path there, True if made now).

    ``links``: ``links_in(class_dir)``, kept up to date here; in link mode a link to ``src`` under any name there
    (one the user renamed) means it is already placed. ``copies``: ``Copies(class_dir)``, the same in copy mode:
    a file there with ``src``'s content, under any name, is its copy."""
    src = os.path.abspath(src)
    if mode == "link" and links is not None and src in links:
        return links[src], False
    if mode == "copy" and copies is not None:
        size, digest = os.path.getsize(src), src_hash or file_hash(src)
        found = copies.find(size, digest)
        if found is not None:
            return found, False
    # with the folder's index, a taken name is never src's: the index would have found it above, without hashing
    # the file under that name a second time
    indexed = (links if mode == "link" else copies) is not None
    os.makedirs(class_dir, exist_ok=True)
    stem, ext = os.path.splitext(os.path.basename(src))
    n = 0
    while True:
        n += 1
        target = os.path.join(class_dir, f"{stem}{ext}" if n == 1 else f"{stem} ({n}){ext}")
        if os.path.lexists(target):
            if not indexed and _same(target, src, mode=mode, src_hash=src_hash):
                return target, False
            continue
        if mode == "link":
            try:
                os.symlink(src, target)
            except FileExistsError:  # appeared meanwhile: try the next name
                continue
            if links is not None:
                links[src] = target
        else:
            atomic_copy(src, target)
            if copies is not None:
                copies.add(target, size, digest)
        return target, True


def organize(folder: str | os.PathLike, into: str | os.PathLike, *, model, mode: str = "link",
             catalog_path: str | os.PathLike | None = None, jobs: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             cancel: threading.Event | None = None, unsure_below: float | None = None) -> OrganizeSummary:
    """Tag what the catalog lacks under ``folder``, then place every classified file in ``into/<label>/``, or in
    ``into/unsure/<label>/`` when ``unsure_below`` is given and its confidence is lower (the bundled model's
    confidences are calibrated: of files at 0.6, about six in ten are right).

    Raises UsageError for a bad folder, an ``into`` inside a class folder or equal to ``folder``, an unwritable
    ``into``, link mode where links cannot be made, or an ``unsure_below`` outside (0, 1].
    """
    if mode not in MODES:
        raise UsageError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    if unsure_below is not None and not 0.0 < unsure_below <= 1.0:
        raise UsageError(f"--unsure-below {unsure_below:g}: must be a confidence above 0 and at most 1")
    if unsure_below is not None and UNSURE in model.classes:
        raise UsageError(f"--unsure-below: the model has a class named {UNSURE!r}, whose folder it would share")
    folder, into = os.path.abspath(os.fspath(folder)), os.path.abspath(os.fspath(into))
    exclude = _check_places(folder, into, tuple(model.classes) + ((UNSURE,) if unsure_below is not None else ()))
    if catalog_path is not None:
        check_catalog_path(os.path.abspath(os.fspath(catalog_path)))  # before OUT is made
    _prepare(into, mode)
    files, everything = _sources(folder, exclude)
    summary = OrganizeSummary(into=into, mode=mode, unsure_below=unsure_below)
    summary.tagging = tag_paths([folder] if everything else files, model=model, catalog_path=catalog_path,
                                jobs=jobs, progress=progress, cancel=cancel)
    links: dict[str, dict[str, str]] = {}  # class folder -> links_in(it), read once per run
    copies: dict[str, Copies] = {}         # class folder -> Copies(it), the same in copy mode
    with Catalog(summary.tagging.catalog_path) as catalog:
        for path in files:
            entry = catalog.get(path)
            try:
                current = entry is not None and entry.matches(os.stat(path))
            except OSError:
                current = False
            if not current or entry.error or not entry.label:
                summary.unclassified += 1
                continue
            unsure = unsure_below is not None and (entry.confidence or 0.0) < unsure_below
            class_dir = os.path.join(into, *((UNSURE,) if unsure else ()), entry.label)
            try:
                if mode == "link" and class_dir not in links:
                    links[class_dir] = links_in(class_dir)
                if mode == "copy" and class_dir not in copies:
                    copies[class_dir] = Copies(class_dir)
                _, made = place(path, class_dir, mode=mode, src_hash=entry.hash, links=links.get(class_dir),
                                copies=copies.get(class_dir))
            except OSError as exc:
                summary.failed += 1
                if len(summary.errors) < MAX_REPORTED_ERRORS:
                    where = exc.filename if exc.filename and exc.filename != path else class_dir
                    summary.errors.append((path, f"cannot place it in {class_dir} ({where}: "
                                                 f"{exc.strerror or exc})"))
                continue
            summary.placed += made
            summary.already += not made
            summary.by_label[entry.label] += 1
            summary.unsure += unsure
    return summary
